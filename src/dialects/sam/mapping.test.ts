import { describe, expect, it } from "vitest";
import { type ContactJson, contactJsonFields, fromCanonical, toCanonical, wireFieldName } from "./mapping.js";

const countries: Record<string, number> = { AU: 10, NZ: 11, GB: 12 };
const countryIdOf = (code: string) => countries[code];
const countryCodeOf = (id: number) => Object.entries(countries).find(([, v]) => v === id)?.[0];

describe("SAM ContactJSON → canonical", () => {
  const cases: Array<{
    title: string;
    wire: ContactJson;
    fields: Record<string, unknown>;
    identifiers?: unknown;
  }> = [
    {
      title: "names and title",
      wire: { title: "Dr", firstname: "Ada", lastname: "Byron" },
      fields: { prefix: "Dr", givenName: "Ada", surname: "Byron" },
    },
    {
      title: "emails",
      wire: { email1: "a@b.org", email2: "c@d.org" },
      fields: { email: "a@b.org", emailSecondary: "c@d.org" },
    },
    {
      title: "phones and fax",
      wire: { mobile: "1", phone: "2", otherPhone: "3", faxNumber: "4" },
      fields: { phoneMobile: "1", phoneWork: "2", phoneOther: "3", faxWork: "4" },
    },
    {
      title: "work address with a lower-case country",
      wire: {
        workAddress1: "a",
        workAddress2: "b",
        workAddress3: "c",
        city: "d",
        state: "e",
        postCode: "f",
        countryCode: " au ",
      },
      fields: {
        workLine1: "a",
        workLine2: "b",
        workLine3: "c",
        workCity: "d",
        workState: "e",
        workPostcode: "f",
        workCountryId: 10,
      },
    },
    {
      title: "other address",
      wire: {
        otherAddress1: "a",
        otherAddress2: "b",
        otherAddress3: "c",
        otherCity: "d",
        otherState: "e",
        otherPostcode: "f",
        otherCountryCode: "NZ",
      },
      fields: {
        otherLine1: "a",
        otherLine2: "b",
        otherLine3: "c",
        otherCity: "d",
        otherState: "e",
        otherPostcode: "f",
        otherCountryId: 11,
      },
    },
    {
      title: "work and profession",
      wire: {
        company: "c",
        department: "d",
        contactProfession: "p",
        contactSpecialty: "s",
        contactCategory: "Sat Nov 15 13:34:00 EST 2014",
        contactType: "t",
      },
      fields: {
        company: "c",
        department: "d",
        profession: "p",
        specialty: "s",
        category: "Sat Nov 15 13:34:00 EST 2014",
        contactType: "t",
      },
    },
    {
      title: "owner, notes and social",
      wire: { ownedBy: "o", notes: "n", facebookId: "f", twitterId: "t", webPage: "w" },
      fields: { owner: "o", remarks: "n", facebookId: "f", twitterId: "t", webPage: "w" },
    },
    {
      title: "source clocks in epoch ms",
      wire: {
        contactCreated: 0,
        contactCreatedBy: "x",
        contactModified: 1416018840030,
        contactModifiedBy: "y",
      },
      fields: {
        sourceCreatedAt: "1970-01-01T00:00:00.000Z",
        sourceCreatedBy: "x",
        sourceModifiedAt: "2014-11-15T02:34:00.030Z",
        sourceModifiedBy: "y",
      },
    },
    {
      title: "null clocks say nothing",
      wire: { contactCreated: null, contactModified: null, contactModifiedBy: null },
      fields: {},
    },
    {
      title: "null text clears, absent text is left alone",
      wire: { firstname: null, countryCode: null },
      fields: { givenName: null, workCountryId: null },
    },
    {
      title: "dateOfBirth as YYYY-MM-DD",
      wire: { dateOfBirth: "1990-05-01" },
      fields: { dateOfBirth: "1990-05-01" },
    },
    {
      title: "dateOfBirth as ISO date-time keeps its written date",
      wire: { dateOfBirth: "1990-05-01T23:30:00-05:00" },
      fields: { dateOfBirth: "1990-05-01" },
    },
    {
      title: "dateOfBirth as epoch ms (UTC)",
      wire: { dateOfBirth: Date.UTC(1990, 4, 1) },
      fields: { dateOfBirth: "1990-05-01" },
    },
    { title: "empty dateOfBirth clears", wire: { dateOfBirth: "" }, fields: { dateOfBirth: null } },
    {
      title: "externalId becomes the external_id identifier",
      wire: { externalId: " CRMID-123 " },
      fields: {},
      identifiers: { external_id: "CRMID-123" },
    },
    {
      title: "a numeric externalId is kept as text",
      wire: { externalId: 42 },
      fields: {},
      identifiers: { external_id: "42" },
    },
    { title: "contactId is ignored", wire: { contactId: 77 }, fields: {} },
    {
      title: "clocks at the edges of the years 0001 and 9999",
      wire: { contactCreated: -62135596800000, contactModified: 253402300799999 },
      fields: { sourceCreatedAt: "0001-01-01T00:00:00.000Z", sourceModifiedAt: "9999-12-31T23:59:59.999Z" },
    },
    {
      title: "a surrogate pair (an emoji) is fine",
      wire: { firstname: "Ada \u{1F600}" },
      fields: { givenName: "Ada \u{1F600}" },
    },
  ];
  it.each(cases)("$title", ({ wire, fields, identifiers }) => {
    const { input, problems } = toCanonical(wire, countryIdOf);
    expect(problems).toEqual([]);
    expect(input.fields).toEqual(fields);
    expect(input.identifiers).toEqual(identifiers);
  });

  const problems: Array<{ title: string; wire: ContactJson; field: string; message: string }> = [
    {
      title: "unknown country",
      wire: { countryCode: "XX" },
      field: "countryCode",
      message: "countryCode 'XX' is not an ISO 3166-1 alpha-2 country code",
    },
    {
      title: "alpha-3 country",
      wire: { otherCountryCode: "AUS" },
      field: "otherCountryCode",
      message: "otherCountryCode 'AUS' is not an ISO 3166-1 alpha-2 country code",
    },
    {
      title: "fractional clock",
      wire: { contactModified: 1.5 },
      field: "contactModified",
      message: "contactModified must be epoch milliseconds",
    },
    {
      title: "clock out of range",
      wire: { contactCreated: 9e15 },
      field: "contactCreated",
      message:
        "contactCreated 9000000000000000 is outside the years 0001 to 9999 (epoch milliseconds -62135596800000 to 253402300799999)",
    },
    {
      title: "clock in the year 10000 (a JavaScript date, not a PostgreSQL one)",
      wire: { contactModified: 253402300800000 },
      field: "contactModified",
      message:
        "contactModified 253402300800000 is outside the years 0001 to 9999 (epoch milliseconds -62135596800000 to 253402300799999)",
    },
    {
      title: "clock before the year 0001",
      wire: { contactModified: -62135596800001 },
      field: "contactModified",
      message:
        "contactModified -62135596800001 is outside the years 0001 to 9999 (epoch milliseconds -62135596800000 to 253402300799999)",
    },
    {
      title: "a numeric externalId past 2^53 (already rounded by JSON)",
      wire: { externalId: 2 ** 53 },
      field: "externalId",
      message: "externalId 9007199254740992 is too large a number to read exactly; send it as a string",
    },
    {
      title: "impossible date of birth",
      wire: { dateOfBirth: "2001-02-30" },
      field: "dateOfBirth",
      message: "dateOfBirth must be YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds",
    },
  ];
  it.each(problems)("refuses $title", ({ wire, field, message }) => {
    expect(toCanonical(wire, countryIdOf).problems).toEqual([{ field, message }]);
  });
});

describe("canonical → SAM ContactJSON", () => {
  it("writes every ContactJSON field and round-trips what toCanonical read", () => {
    const wire: ContactJson = Object.fromEntries(contactJsonFields.map((name) => [name, `v-${name}`]));
    Object.assign(wire, {
      contactId: null,
      countryCode: "AU",
      otherCountryCode: "GB",
      email1: "a@b.org",
      dateOfBirth: "1990-05-01",
      contactCreated: 1416000000000,
      contactModified: 1416018840030,
    });
    const { input } = toCanonical(wire, countryIdOf);
    const back = fromCanonical(
      { id: 5, identifiers: input.identifiers ?? {}, fields: input.fields },
      countryCodeOf,
    );
    expect(Object.keys(back).sort()).toEqual([...contactJsonFields].sort());
    expect(back).toEqual({ ...wire, contactId: 5 });
  });

  it("names canonical fields in the client's words", () => {
    expect(wireFieldName("givenName")).toBe("firstname");
    expect(wireFieldName("workCountryId")).toBe("countryCode");
    expect(wireFieldName("identifiers.external_id")).toBe("externalId");
    expect(wireFieldName("dateOfBirth")).toBe("dateOfBirth");
  });
});
