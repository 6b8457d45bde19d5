import { describe, expect, it } from "vitest";
import type { ContactInput } from "./contact.js";
import { parseIsoInstant } from "./dates.js";
import { canonicalCourse, validateContactChildren } from "./validate-children.js";

const withChildren = (children: Record<string, unknown>): ContactInput =>
  ({ fields: {}, ...children }) as ContactInput;

describe("validateContactChildren", () => {
  it("names each bad item by its path, with the code of what is wrong", () => {
    const input = withChildren({
      tags: [{ tag: "  " }, { tag: "Open Day", taggedAt: "soon" }],
      consents: [{ type: "email" }, { type: "sms", granted: "yes" }],
      activities: [{ kind: "Enquiry", courses: [{ course: "BA", level: "UG" }] }, { courses: "BA" }],
      communications: [{ occurredAt: "not a date" }, { incoming: "true", labels: "fees" }],
      notes: [{ noteType: "Phone" }, "Called"],
      tasks: [{ actionDate: "2026-02-30" }],
    });
    expect(validateContactChildren(input)).toEqual([
      { code: "CONTACT_FIELD_REQUIRED", path: "tags[0].tag", message: "tags[0].tag must not be empty" },
      {
        code: "CONTACT_DATE_INVALID",
        path: "tags[1].taggedAt",
        message: "tags[1].taggedAt must be a date (YYYY-MM-DD)",
      },
      {
        code: "CONTACT_FIELD_REQUIRED",
        path: "consents[0].granted",
        message: "consents[0].granted is required",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        path: "consents[1].granted",
        message: "consents[1].granted must be true or false",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        path: "activities[0].courses[0].level",
        message:
          "activities[0].courses[0].level is not a course field (preferenceNumber, studyLevel, faculty, course, department, campus, studyArea)",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        path: "activities[1].courses",
        message: "activities[1].courses must be a list of at most 100 courses",
      },
      {
        code: "CONTACT_DATE_INVALID",
        path: "communications[0].occurredAt",
        message: "communications[0].occurredAt must be an ISO timestamp or epoch milliseconds",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        path: "communications[1].incoming",
        message: "communications[1].incoming must be true or false",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        path: "communications[1].labels",
        message: "communications[1].labels must be a list of at most 100 strings of at most 1000 characters",
      },
      { code: "CONTACT_FIELD_REQUIRED", path: "notes[0].content", message: "notes[0].content is required" },
      { code: "CONTACT_FIELD_INVALID", path: "notes[1]", message: "notes[1] must be an object" },
      {
        code: "CONTACT_DATE_INVALID",
        path: "tasks[0].actionDate",
        message: "tasks[0].actionDate must be a date (YYYY-MM-DD)",
      },
    ]);
    expect(
      validateContactChildren(withChildren({ communications: [{ subject: "x".repeat(10_001) }] })),
    ).toEqual([
      {
        code: "CONTACT_FIELD_TOO_LONG",
        path: "communications[0].subject",
        message: "communications[0].subject is 10001 characters long; at most 10000 are allowed",
      },
    ]);
    expect(validateContactChildren(withChildren({ tags: "Open Day" }))).toEqual([
      { code: "CONTACT_FIELD_INVALID", path: "tags", message: "tags must be a list" },
    ]);
  });

  it("names a text PostgreSQL cannot store (NUL, unpaired surrogate) by its path, in items, labels and courses", () => {
    const input = withChildren({
      tags: [{ tag: "Open\u0000Day" }],
      communications: [{ labels: ["ok", "bad\ud800"] }],
      activities: [{ courses: [{ course: "BA\u0000" }] }],
    });
    expect(validateContactChildren(input)).toEqual([
      {
        code: "CONTACT_FIELD_INVALID",
        path: "tags[0].tag",
        message: "tags[0].tag contains a NUL (U+0000) character",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        path: "activities[0].courses[0].course",
        message: "activities[0].courses[0].course contains a NUL (U+0000) character",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        path: "communications[0].labels[1]",
        message: "communications[0].labels[1] contains an unpaired surrogate (it is not valid Unicode)",
      },
    ]);
  });

  it("writes dates, timestamps and courses in one spelling, so one item sent two ways is one item", () => {
    const spell = (occurredAt: unknown, course: Record<string, unknown>) => {
      const input = withChildren({
        communications: [{ subject: "Fees", occurredAt }],
        activities: [{ kind: "Enquiry", courses: [course] }],
        tasks: [{ actionDate: "2026-04-01T09:00:00+10:00" }],
        tags: [{ tag: "Alumni", taggedAt: "2026-03-01T00:00:00Z" }],
      });
      expect(validateContactChildren(input)).toEqual([]);
      return input;
    };
    const a = spell("2026-02-03T04:05:06Z", { preferenceNumber: 1, course: "BA", faculty: null });
    const b = spell("2026-02-03 15:05:06.0000000+11:00", { course: "BA", preferenceNumber: 1 });
    const c = spell(Date.parse("2026-02-03T04:05:06Z"), { course: "BA", preferenceNumber: 1 });
    for (const input of [a, b, c]) {
      expect(input.communications).toEqual([{ subject: "Fees", occurredAt: "2026-02-03T04:05:06.000Z" }]);
      expect(input.activities).toEqual([
        { kind: "Enquiry", courses: [{ preferenceNumber: 1, course: "BA" }] },
      ]);
      expect(input.tasks).toEqual([{ actionDate: "2026-04-01" }]);
      expect(input.tags).toEqual([{ tag: "Alumni", taggedAt: "2026-03-01" }]);
    }
  });

  it("leaves alone the read-only keys an export writes, and an activity with no courses gets an empty list", () => {
    const input = withChildren({
      notes: [
        { id: 7, content: "Called", noteType: null, actor: "token:1", createdAt: "2026-01-01T00:00:00.000Z" },
      ],
      tasks: [{ id: 3, taskType: "Call", done: false, createdAt: "2026-01-01T00:00:00.000Z" }],
      activities: [{ kind: "Visit" }],
    });
    expect(validateContactChildren(input)).toEqual([]);
    expect(input.notes?.[0]).toMatchObject({ id: 7, content: "Called", actor: "token:1" });
    expect(input.activities).toEqual([{ kind: "Visit", courses: [] }]);
  });

  it("canonicalCourse keeps a course's known keys, in one order, without empty ones", () => {
    expect(
      Object.keys(
        canonicalCourse({
          campus: "North",
          course: "BA",
          faculty: null,
          studyLevel: "",
          preferenceNumber: 2,
        }),
      ),
    ).toEqual(["preferenceNumber", "course", "campus"]);
  });
});

describe("parseIsoInstant", () => {
  it("reads ISO dates and times in any zone, a time without a zone as UTC, and epoch milliseconds", () => {
    expect(parseIsoInstant("2026-02-03")).toBe("2026-02-03T00:00:00.000Z");
    expect(parseIsoInstant("2026-02-03T04:05")).toBe("2026-02-03T04:05:00.000Z");
    expect(parseIsoInstant("2026-02-03t04:05:06.1234567z")).toBe("2026-02-03T04:05:06.123Z");
    expect(parseIsoInstant("2026-02-03T14:05:06+1000")).toBe("2026-02-03T04:05:06.000Z");
    expect(parseIsoInstant("2026-02-03T00:05:06-04")).toBe("2026-02-03T04:05:06.000Z");
    expect(parseIsoInstant(0)).toBe("1970-01-01T00:00:00.000Z");
  });

  it("refuses what JavaScript would guess at and PostgreSQL would read otherwise, or not at all", () => {
    for (const text of ["1", "soon", "now", "Feb 3 2026", "03/02/2026", "2026-02-30", "2026-02-03T25:00", ""])
      expect(parseIsoInstant(text), text).toBeNull();
    expect(parseIsoInstant(Number.NaN)).toBeNull();
  });
});
