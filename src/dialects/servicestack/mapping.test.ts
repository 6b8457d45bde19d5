import { describe, expect, it } from "vitest";
import { parseJsv, stringifyJsv } from "../../formats/jsv/index.js";
import type { ContactView } from "../../store/contacts/read-contacts.js";
import { fromCanonical, type MappingLookups, toCanonical } from "./mapping.js";

const lookups: MappingLookups = {
  countryId: (text) => ({ canada: 1, ca: 1, "united kingdom": 2, gb: 2 })[text.toLowerCase()],
  userName: (name) => (name.toLowerCase() === "jdoe" ? "JDoe" : undefined),
};
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const webp = Buffer.concat([Buffer.from("RIFF"), Buffer.from([0, 0, 0, 0]), Buffer.from("WEBPVP8 ")]);

describe("ServiceStack mapping: toCanonical", () => {
  it.each([
    { title: "JSV strings", wire: { regent_id: "17", spouse_is_main_contact: "True", dob: "1979-05-09" } },
    {
      title: "JSON scalars",
      wire: { regent_id: 17, spouse_is_main_contact: true, dob: "1979-05-09T00:00:00Z" },
    },
    { title: "keys in any case", wire: { Regent_ID: 17, SPOUSE_IS_MAIN_CONTACT: "true", DOB: "19790509" } },
    {
      title: "a WCF date",
      wire: { regent_id: "17", spouse_is_main_contact: 1, dob: "\\/Date(295056000000)\\/" },
    },
    {
      title: "an offset WCF date keeps the writer's local date",
      wire: { regent_id: 17, spouse_is_main_contact: "y", dob: "/Date(295052400000+0100)/" },
    },
    { title: "an unpadded date", wire: { regent_id: 17, spouse_is_main_contact: "on", dob: "1979-5-9" } },
    {
      title: "an unpadded timestamp",
      wire: { regent_id: 17, spouse_is_main_contact: "on", dob: "1979-5-9T23:59:00" },
    },
    { title: "a day-first date", wire: { regent_id: 17, spouse_is_main_contact: "YES", dob: "09/05/1979" } },
    {
      title: "a month-first date",
      wire: { regent_id: 17, spouse_is_main_contact: '"true"', dob: "5/9/1979" },
    },
  ])("reads $title", ({ wire }) => {
    expect(toCanonical(wire, 0, lookups)).toEqual({
      input: {
        identifiers: { regent_id: "17" },
        fields: { spouseIsMainContact: true, dateOfBirth: "1979-05-09" },
      },
      problems: [],
    });
  });

  it("leaves .NET defaults out, clears text with an empty string, and ignores unknown keys", () => {
    const { input, problems } = toCanonical(
      {
        regent_id: 0,
        dob: "0001-01-01",
        last_audit_class: "0001-01-01T00:00:00.0000000",
        city: "",
        mystery: 1,
        no_mail: "",
      },
      0,
      lookups,
    );
    expect(problems).toEqual([]);
    expect(input).toEqual({ fields: { correspondenceTown: null } });
  });

  it.each([
    { title: "an empty regent_id", wire: { regent_id: "", dob: "0001-01-01" } },
    { title: "a blank regent_id", wire: { regent_id: "  ", dob: "" } },
    { title: "a WCF MinValue written west of UTC", wire: { dob: "\\/Date(-62135596800000-0500)\\/" } },
    { title: "a WCF MinValue written east of UTC", wire: { dob: "/Date(-62135596800000+1000)/" } },
    { title: "a MinValue with ticks and a zone", wire: { dob: "0001-01-01T00:00:00.0000000+10:00" } },
  ])(".NET defaults: $title is not given", ({ wire }) => {
    expect(toCanonical(wire, 0, lookups)).toEqual({ input: { fields: {} }, problems: [] });
  });

  it.each(["1990-01-01Tjunk", "1990-01-01 25:00", "0001-01-01Tnope", "1990-01-01T10:00:00+junk"])(
    "refuses the date %j whose time part is not a time",
    (dob) => {
      expect(toCanonical({ dob }, 1, lookups).problems).toEqual([
        {
          code: "CONTACT_DATE_INVALID",
          field: "contacts[1].dob",
          message: `'${dob}' is not a valid DateTime for dob`,
          index: 1,
        },
      ]);
    },
  );

  it.each([
    { type: "PNG", bytes: png },
    { type: "JPEG", bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]) },
    { type: "GIF87a", bytes: Buffer.from("GIF87a\u0001\u0000") },
    { type: "GIF89a", bytes: Buffer.from("GIF89a\u0001\u0000") },
    { type: "WebP", bytes: webp },
    {
      type: "image of exactly 5 MiB",
      bytes: Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024 - png.length)]),
    },
  ])("takes a $type photo", ({ bytes }) => {
    const { input, problems } = toCanonical({ image_base64: bytes.toString("base64") }, 0, lookups);
    expect(problems).toEqual([]);
    expect(input.fields.photoBase64).toBe(bytes.toString("base64"));
  });

  it("refuses a photo one byte over 5 MiB with Length's code", () => {
    const bytes = Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024 - png.length + 1)]);
    expect(toCanonical({ image_base64: bytes.toString("base64") }, 0, lookups).problems).toEqual([
      {
        code: "CONTACT_FIELD_TOO_LONG",
        field: "contacts[0].image_base64",
        message: "image_base64 holds 5242881 bytes; at most 5242880 (5 MiB) are allowed",
        index: 0,
      },
    ]);
  });

  it("resolves countries by name or code, permanent_resident words, owners and photos", () => {
    const { input, problems } = toCanonical(
      {
        country: "Canada",
        citizenship: "GB",
        citizenship_other: "",
        permanent_resident: "No",
        owning_username: "jdoe",
        image_base64: webp.toString("base64"),
        campaign_monitor_lists: 'Alumni, "Friends"',
        code: 12345,
      },
      3,
      lookups,
    );
    expect(problems).toEqual([]);
    expect(input.fields).toEqual({
      correspondenceCountryId: 1,
      countryOfCitizenshipId: 2,
      dualCitizenshipCountryId: null,
      isPermanentResident: false,
      owner: "JDoe",
      photoBase64: webp.toString("base64"),
      emailMarketingLists: 'Alumni, "Friends"',
      correspondencePostcode: "12345",
    });
  });

  it("normalises a photo's base64 (line breaks, data URL header)", () => {
    const wrapped = `data:image/png;base64,${png.toString("base64").replace(/(.{4})/g, "$1\n")}`;
    expect(toCanonical({ image_base64: wrapped }, 0, lookups).input.fields.photoBase64).toBe(
      png.toString("base64"),
    );
  });

  it.each([
    { wire: { regent_id: 1.5 }, field: "regent_id", code: "CONTACT_FIELD_INVALID" },
    { wire: { regent_id: "2147483648" }, field: "regent_id", code: "CONTACT_FIELD_INVALID" },
    { wire: { regent_id: "-1" }, field: "regent_id", code: "CONTACT_FIELD_OUT_OF_RANGE" },
    { wire: { no_email: "Maybe" }, field: "no_email", code: "CONTACT_FIELD_INVALID" },
    { wire: { dob: "1990-02-30" }, field: "dob", code: "CONTACT_DATE_INVALID" },
    { wire: { dob: true }, field: "dob", code: "CONTACT_DATE_INVALID" },
    { wire: { citizenship: "Narnia" }, field: "citizenship", code: "CONTACT_REFERENCE_UNKNOWN" },
    { wire: { owning_username: "someone" }, field: "owning_username", code: "CONTACT_REFERENCE_UNKNOWN" },
    { wire: { image_base64: "String" }, field: "image_base64", code: "CONTACT_FIELD_INVALID" },
    { wire: { image_base64: "not base64!" }, field: "image_base64", code: "CONTACT_FIELD_INVALID" },
    { wire: { first_name: { a: 1 } }, field: "first_name", code: "CONTACT_FIELD_INVALID" },
  ])("refuses $wire with $code on contacts[2].$field", ({ wire, field, code }) => {
    const { problems } = toCanonical(wire, 2, lookups);
    expect(problems).toEqual([expect.objectContaining({ code, field: `contacts[2].${field}`, index: 2 })]);
  });
});

describe("ServiceStack mapping: fromCanonical", () => {
  it("writes a stored contact as the page's DTO, round-tripping through toCanonical", () => {
    const view: ContactView = {
      id: 9,
      identifiers: { regent_id: "17" },
      fields: {
        givenName: "Ada",
        surname: "Lovelace",
        dateOfBirth: "1815-12-10",
        correspondenceCountryId: 2,
        isPermanentResident: true,
        emailMarketingLists: "A, B",
        noMail: null,
        owner: "JDoe",
        photoBase64: null,
      },
      createdAt: new Date(),
      modifiedAt: new Date(),
      createdBy: null,
      modifiedBy: null,
    };
    const wire = fromCanonical(view, (id) => (id === 2 ? "United Kingdom" : undefined));
    expect(wire).toMatchObject({
      regent_id: 17,
      first_name: "Ada",
      last_name: "Lovelace",
      dob: "1815-12-10",
      country: "United Kingdom",
      permanent_resident: "Yes",
      campaign_monitor_lists: "A, B",
      no_mail: false,
      owning_username: "JDoe",
    });
    expect(wire).not.toHaveProperty("image_base64");
    // Through the wire as a JSV client reads and writes it: quoting keeps the list's comma.
    const back = toCanonical(parseJsv(stringifyJsv(wire)), 0, lookups);
    expect(back.problems).toEqual([]);
    expect(back.input.identifiers).toEqual({ regent_id: "17" });
    expect(back.input.fields).toMatchObject({
      givenName: "Ada",
      dateOfBirth: "1815-12-10",
      correspondenceCountryId: 2,
      isPermanentResident: true,
      emailMarketingLists: "A, B",
    });
  });
});
