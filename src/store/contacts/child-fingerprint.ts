import { createHash } from "node:crypto";
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
