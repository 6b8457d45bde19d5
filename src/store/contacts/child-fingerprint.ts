import { createHash } from "node:crypto";
import type { CommunicationInput } from "../../core/contact.js";
import { canonicalCourse } from "../../core/validate-children.js";

/**
 * What keeps an activity, communication, note or task once per contact: a hash of its stored values (the
 * writer's actor left out). The values are the validated, normalised ones (one spelling of a timestamp, a
 * course's keys in one order), so a replayed item is the same item whatever spelling brought it.
 */
export function childFingerprint(values: readonly unknown[]): string {
  return createHash("sha1").update(JSON.stringify(values)).digest("base64url");
}

/** An activity's stored values, for its fingerprint: its kind and its courses in their one spelling. */
export function activityValues(kind: string | null, courses: unknown): [string | null, string] {
  const list = Array.isArray(courses) ? courses : [];
  return [kind, JSON.stringify(list.map((c) => canonicalCourse(c as Record<string, unknown>)))];
}

/**
 * A communication's stored values by name, with their column types, in the order its fingerprint hashes them:
 * the writer, the reader and migration 0008 share it, so the three cannot disagree on a column.
 */
export const communicationColumns = [
  ["incoming", "boolean"],
  ["category", "text"],
  ["type", "text"],
  ["headline", "text"],
  ["labels", "text[]"],
  ["subject", "text"],
  ["code", "text"],
  ["effectiveness", "text"],
  ["fromEmail", "text"],
  ["toEmail", "text"],
  ["sendExternal", "boolean"],
  ["source", "text"],
  ["referralSource", "text"],
  ["occurredAt", "timestamptz"],
] as const satisfies ReadonlyArray<readonly [keyof CommunicationInput, string]>;

/** A camelCase name as its snake_case column. */
export const columnOf = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
