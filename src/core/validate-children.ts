import {
  type ContactCollection,
  type ContactInput,
  type CourseInput,
  contactCollections,
} from "./contact.js";
import { parseDateOnly, parseIsoInstant } from "./dates.js";
import type { ErrorCode } from "./errors.js";
import { textProblem } from "./text-problems.js";

/** One problem with an item of a contact's collections: its code, its path (`notes[2].content`) and why. */
export interface ChildProblem {
  code: ErrorCode;
  path: string;
  message: string;
}

// A problem may be about a part of the value (`[0].campus` of a list of courses): `within` names it.
type Check = (value: unknown) => { value: unknown } | { problem: string; code?: ErrorCode; within?: string };

// Texts no page limits get generous bounds, as scalar fields do (docs/model.md): a runaway value is refused by
// its path instead of making a contact no export line or import row can carry.
const text =
  (maxLength = 10_000, required = false): Check =>
  (value) => {
    if (value === undefined || value === null)
      return required ? { problem: "is required", code: "CONTACT_FIELD_REQUIRED" } : { value: null };
    if (typeof value !== "string") return { problem: "must be a string" };
    const unstorable = textProblem(value);
    if (unstorable) return { problem: unstorable };
    if (required && value.trim() === "")
      return { problem: "must not be empty", code: "CONTACT_FIELD_REQUIRED" };
    if (value.length > maxLength)
      return {
        problem: `is ${value.length} characters long; at most ${maxLength} are allowed`,
        code: "CONTACT_FIELD_TOO_LONG",
      };
    return { value };
  };

const optionalBoolean: Check = (value) =>
  value === undefined || value === null || typeof value === "boolean"
    ? { value: value ?? null }
    : { problem: "must be true or false" };

// Dates and timestamps are normalised here, so the store gets one spelling of each: a replayed item written
// as `2026-02-03T04:05:06Z` one day and `2026-02-03T04:05:06.000Z` the next is the same item, not two.
const optionalDate: Check = (value) => {
  if (value === undefined || value === null) return { value: null };
  const date = typeof value === "string" ? parseDateOnly(value) : null;
  return date ? { value: date } : { problem: "must be a date (YYYY-MM-DD)", code: "CONTACT_DATE_INVALID" };
};

const optionalTimestamp: Check = (value) => {
  if (value === undefined || value === null) return { value: null };
  const instant = typeof value === "string" || typeof value === "number" ? parseIsoInstant(value) : null;
  return instant
    ? { value: instant }
    : { problem: "must be an ISO timestamp or epoch milliseconds", code: "CONTACT_DATE_INVALID" };
};

const labels: Check = (value) => {
  if (value === undefined || value === null) return { value: null };
  if (
    !Array.isArray(value) ||
    value.length > 100 ||
    value.some((l) => typeof l !== "string" || l.length > 1_000)
  )
    return { problem: "must be a list of at most 100 strings of at most 1000 characters" };
  for (let i = 0; i < value.length; i++) {
    const unstorable = textProblem(value[i]);
    if (unstorable) return { problem: unstorable, within: `[${i}]` };
  }
  return { value };
};

const courseKeys: ReadonlyArray<keyof CourseInput> = [
  "preferenceNumber",
  "studyLevel",
  "faculty",
  "course",
  "department",
  "campus",
  "studyArea",
];

/**
 * A course in one spelling: its keys in one order, empty ones (null or "") left out. Courses are stored as JSON and an
 * activity is kept once by what it holds, so `{"course":"BA","preferenceNumber":1}` and
 * `{"preferenceNumber":1,"course":"BA","faculty":null}` must be the same activity.
 */
export function canonicalCourse(course: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of courseKeys) {
    const value = course[key];
    if (value !== undefined && value !== null && value !== "") out[key] = value;
  }
  return out;
}

const courses: Check = (value) => {
  if (value === undefined || value === null) return { value: [] };
  if (!Array.isArray(value) || value.length > 100)
    return { problem: "must be a list of at most 100 courses" };
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < value.length; i++) {
    const course = value[i];
    if (course === null || typeof course !== "object" || Array.isArray(course))
      return { problem: "must be an object", within: `[${i}]` };
    for (const key in course) {
      const item = (course as Record<string, unknown>)[key];
      if (!(courseKeys as readonly string[]).includes(key))
        return { problem: `is not a course field (${courseKeys.join(", ")})`, within: `[${i}].${key}` };
      if (item === null) continue;
      if (
        key === "preferenceNumber"
          ? !Number.isSafeInteger(item)
          : typeof item !== "string" || item.length > 1_000
      )
        return {
          problem: `must be ${key === "preferenceNumber" ? "an integer" : "a string of at most 1000 characters"}`,
          within: `[${i}].${key}`,
        };
      const unstorable = textProblem(item);
      if (unstorable) return { problem: unstorable, within: `[${i}].${key}` };
    }
    out.push(canonicalCourse(course as Record<string, unknown>));
  }
  return { value: out };
};

// Per collection, the checks of an item's own keys. Other keys are left alone: an export's read-only keys
// (`id`, `createdAt`, `actor`, `done`) come back in an NDJSON file that moves people, and mean nothing here.
const itemChecks: Record<ContactCollection, Record<string, Check>> = {
  tags: { tag: text(200, true), taggedAt: optionalDate },
  consents: {
    type: text(200, true),
    granted: (value) =>
      typeof value === "boolean"
        ? { value }
        : value === undefined || value === null
          ? { problem: "is required", code: "CONTACT_FIELD_REQUIRED" }
          : { problem: "must be true or false" },
    recordedAt: optionalTimestamp,
  },
  activities: { kind: text(), courses },
  communications: {
    incoming: optionalBoolean,
    category: text(),
    type: text(),
    headline: text(),
    labels,
    subject: text(),
    code: text(),
    effectiveness: text(),
    fromEmail: text(),
    toEmail: text(),
    sendExternal: optionalBoolean,
    source: text(),
    referralSource: text(),
    occurredAt: optionalTimestamp,
  },
  notes: { content: text(100_000, true), noteType: text() },
  tasks: { taskType: text(), description: text(), actionDate: optionalDate },
};

/**
 * Checks a contact input's collections item by item and normalises them in place (dates, timestamps,
 * courses); answers each problem with its path. A bad item must fail its own record here: the store writes
 * a whole batch's items in one statement, where one bad date fails every record with no name on it.
 */
export function validateContactChildren(input: ContactInput): ChildProblem[] {
  const problems: ChildProblem[] = [];
  for (const list of contactCollections) {
    const items: unknown = input[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) {
      problems.push({ code: "CONTACT_FIELD_INVALID", path: list, message: `${list} must be a list` });
      continue;
    }
    const checks = itemChecks[list];
    for (let i = 0; i < items.length; i++) {
      const item: unknown = items[i];
      if (item === null || typeof item !== "object" || Array.isArray(item)) {
        problems.push({
          code: "CONTACT_FIELD_INVALID",
          path: `${list}[${i}]`,
          message: `${list}[${i}] must be an object`,
        });
        continue;
      }
      const record = item as Record<string, unknown>;
      for (const key in checks) {
        const checked = checks[key](record[key]);
        if ("problem" in checked) {
          const path = `${list}[${i}].${key}${checked.within ?? ""}`;
          problems.push({
            code: checked.code ?? "CONTACT_FIELD_INVALID",
            path,
            message: `${path} ${checked.problem}`,
          });
        } else if (checked.value !== record[key] && !(checked.value === null && record[key] === undefined))
          record[key] = checked.value;
      }
    }
  }
  return problems;
}
