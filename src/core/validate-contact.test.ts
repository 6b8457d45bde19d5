import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ContactInput } from "./contact.js";
import { contactFields } from "./contact-fields.js";
import { parseDateOnly } from "./dates.js";
import { validateContactInput, validIdentifierValue, validTextValue } from "./validate-contact.js";

const input = (fields: ContactInput["fields"], extra: Partial<ContactInput> = {}): ContactInput => ({
  fields,
  ...extra,
});

describe("validateContactInput", () => {
  it("names a NUL or an unpaired surrogate in a child's text or a status reason, where it is", () => {
    const errors = validateContactInput(
      input(
        { surname: "Lovelace" },
        {
          tags: [{ tag: "Open Day" }, { tag: "a\u0000b" }],
          notes: [{ content: "fine" }, { content: "bad\ud800" }],
          activities: [{ kind: "enquiry", courses: [{ course: "BSc\u0000" }] }],
          communications: [{ labels: ["ok", "x\u0000"] }],
          contactStatusReason: "moved\u0000",
        },
      ),
      3,
    );
    expect(errors).toEqual([
      {
        code: "CONTACT_FIELD_INVALID",
        field: "contactStatusReason",
        index: 3,
        message: "contactStatusReason contains a NUL (U+0000) character",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        field: "tags[1].tag",
        index: 3,
        message: "tags[1].tag contains a NUL (U+0000) character",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        field: "activities[0].courses[0].course",
        index: 3,
        message: "activities[0].courses[0].course contains a NUL (U+0000) character",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        field: "communications[0].labels[1]",
        index: 3,
        message: "communications[0].labels[1] contains a NUL (U+0000) character",
      },
      {
        code: "CONTACT_FIELD_INVALID",
        field: "notes[1].content",
        index: 3,
        message: "notes[1].content contains an unpaired surrogate (it is not valid Unicode)",
      },
    ]);
    expect(
      validateContactInput(input({}, { tags: [{ tag: "Open Day" }], notes: [{ content: "ok" }] }), 0),
    ).toEqual([]);
  });

  it.each([
    {
      title: "a name over 120 characters",
      fields: { givenName: "x".repeat(121) },
      code: "CONTACT_FIELD_TOO_LONG",
      field: "givenName",
    },
    {
      title: "a middle name over 100 characters",
      fields: { middleName: "x".repeat(101) },
      code: "CONTACT_FIELD_TOO_LONG",
      field: "middleName",
    },
    {
      title: "an unpaired surrogate in a name",
      fields: { surname: "Lovelace\ud800" },
      code: "CONTACT_FIELD_INVALID",
      field: "surname",
    },
    {
      title: "an email without @",
      fields: { email: "ada.example.org" },
      code: "CONTACT_EMAIL_INVALID",
      field: "email",
    },
    {
      title: "a date that does not exist",
      fields: { dateOfBirth: "2023-02-30" },
      code: "CONTACT_DATE_INVALID",
      field: "dateOfBirth",
    },
    {
      title: "a date in another form",
      fields: { dateOfBirth: "03/02/1990" },
      code: "CONTACT_DATE_INVALID",
      field: "dateOfBirth",
    },
    {
      title: "a boolean as text",
      fields: { inactive: "yes" },
      code: "CONTACT_FIELD_INVALID",
      field: "inactive",
    },
    {
      title: "a reference that is not an integer",
      fields: { heatStatusId: 1.5 },
      code: "CONTACT_FIELD_INVALID",
      field: "heatStatusId",
    },
    {
      title: "an unknown field",
      fields: { shoeSize: "44" },
      code: "CONTACT_FIELD_INVALID",
      field: "shoeSize",
    },
    {
      title: "a timestamp that is not one",
      fields: { sourceModifiedAt: "yesterday" },
      code: "CONTACT_DATE_INVALID",
      field: "sourceModifiedAt",
    },
  ])("refuses $title", ({ fields, code, field }) => {
    const errors = validateContactInput(input(fields as unknown as ContactInput["fields"]), 4, "inputs[4].");
    expect(errors).toEqual([expect.objectContaining({ code, field: `inputs[4].${field}`, index: 4 })]);
  });

  it("reports every violation of an input at once", () => {
    const errors = validateContactInput(
      input(
        { givenName: "x".repeat(200), email: "nope", dateOfBirth: "soon" },
        { heatStatusReason: "r".repeat(101) },
      ),
      0,
    );
    expect(errors.map((e) => e.code).sort()).toEqual([
      "CONTACT_DATE_INVALID",
      "CONTACT_EMAIL_INVALID",
      "CONTACT_FIELD_TOO_LONG",
      "CONTACT_FIELD_TOO_LONG",
    ]);
  });

  it("normalises: date part as written, trimmed email, timestamps to ISO", () => {
    const i = input({
      dateOfBirth: "2025-01-22T22:12:56.0388671+11:00",
      email: "  ada@example.org ",
      sourceModifiedAt: 1416018840030,
    });
    expect(validateContactInput(i, 0)).toEqual([]);
    expect(i.fields).toEqual({
      dateOfBirth: "2025-01-22",
      email: "ada@example.org",
      sourceModifiedAt: "2014-11-15T02:34:00.030Z",
    });
  });

  it("accepts null to clear any field and the empty string for text", () => {
    expect(
      validateContactInput(
        input({ givenName: null, dateOfBirth: null, heatStatusId: null, middleName: "" }),
        0,
      ),
    ).toEqual([]);
  });

  it.each(["leap 2024-02-29", "2024-02-29"])("parseDateOnly keeps real dates (%s)", () => {
    expect(parseDateOnly("2024-02-29")).toBe("2024-02-29");
    expect(parseDateOnly("2023-02-29")).toBeNull();
  });
});

describe("validTextValue and validIdentifierValue", () => {
  const textFields = contactFields.filter(
    (f) => f.type === "text" && f.maxLength !== undefined && f.maxLength < 300,
  );
  // Short strings of the characters that matter: spaces, NUL, lone and paired surrogates, @ and dots.
  const text = fc
    .array(
      fc.constantFrom("a", "Z", " ", "\t", "@", ".", "\u0000", "\ud800", "\udc00", "😀", "é", "x".repeat(60)),
      {
        maxLength: 8,
      },
    )
    .map((parts) => parts.join(""));

  it("accept exactly what validateContactInput accepts, normalised as it normalises", () => {
    fc.assert(
      fc.property(fc.constantFrom(...textFields), text, (spec, value) => {
        const input: ContactInput = { fields: { [spec.name]: value } };
        const errors = validateContactInput(input, 0);
        const valid = validTextValue(spec, value);
        expect(valid === undefined).toBe(errors.length > 0);
        if (valid !== undefined) expect(input.fields[spec.name]).toBe(valid);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(text, (value) => {
        const errors = validateContactInput({ fields: {}, identifiers: { external_id: value } }, 0);
        expect(validIdentifierValue(value)).toBe(errors.length === 0);
      }),
      { numRuns: 2000 },
    );
  });
});
