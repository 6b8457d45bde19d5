import { describe, expect, it } from "vitest";
import type { ContactInput } from "../../core/contact.js";
import type { ContactView } from "../../store/contacts/read-contacts.js";
import { fromCanonical, referenceIdsOf, toCanonical, wireFieldOf } from "./mapping.js";
import { readContactDtos, readDateOnly, readInstant } from "./read-contact-dtos.js";
import type { ValidContactDto } from "./wire-schemas.js";

describe("toCanonical", () => {
  it.each<{ title: string; dto: ValidContactDto; expected: ContactInput }>([
    {
      title: "StudentId becomes the student_institution_id identifier",
      dto: { StudentId: "S1" },
      expected: { identifiers: { student_institution_id: "S1" }, fields: {} },
    },
    { title: "an empty StudentId is no identifier", dto: { StudentId: "  " }, expected: { fields: {} } },
    {
      title: "names and scalars map to canonical fields",
      dto: {
        Name: "Ada",
        Surname: "Lovelace",
        MiddleName: "A",
        Alias: "B",
        FormerName: "C",
        Gender: "F",
        EmailAddress: "a@b.org",
      },
      expected: {
        fields: {
          givenName: "Ada",
          surname: "Lovelace",
          middleName: "A",
          alias: "B",
          formerName: "C",
          gender: "F",
          email: "a@b.org",
        },
      },
    },
    {
      title: "references, booleans and the date",
      dto: {
        SalutationId: 1,
        CountryOfResidenceId: 2,
        CountryOfCitizenshipId: 3,
        CountryOfBirthId: 4,
        HeatStatusId: 5,
        SubChannelId: 6,
        ContactStatusId: 7,
        IsPermanentResident: false,
        Inactive: true,
        DateOfBirth: "1990-01-02",
      },
      expected: {
        fields: {
          salutationId: 1,
          countryOfResidenceId: 2,
          countryOfCitizenshipId: 3,
          countryOfBirthId: 4,
          heatStatusId: 5,
          subChannelId: 6,
          contactStatusId: 7,
          isPermanentResident: false,
          inactive: true,
          dateOfBirth: "1990-01-02",
        },
      },
    },
    {
      title: "the change reasons become the history reasons",
      dto: { HeatStatusChangeReason: "Open day", ContactStatusChangeReason: "Applied" },
      expected: { fields: {}, heatStatusReason: "Open day", contactStatusReason: "Applied" },
    },
    {
      title: "nulls are left out of a new contact",
      dto: { Name: null, SalutationId: null },
      expected: { fields: {} },
    },
  ])("$title", ({ dto, expected }) => {
    expect(toCanonical(dto)).toEqual(expected);
  });
});

describe("wireFieldOf", () => {
  it.each([
    ["givenName", "Name"],
    ["email", "EmailAddress"],
    ["identifiers.student_institution_id", "StudentId"],
    ["heatStatusReason", "HeatStatusChangeReason"],
    ["subChannelId", "SubChannelId"],
    ["phoneMobile", "phoneMobile"],
  ])("%s → %s", (canonical, wire) => expect(wireFieldOf(canonical)).toBe(wire));
});

describe("fromCanonical", () => {
  const view: ContactView = {
    id: 42,
    fields: {
      givenName: "Ada",
      dateOfBirth: "1815-12-10",
      subChannelId: 7,
      heatStatusId: 3,
      inactive: null,
      isPermanentResident: null,
    },
    identifiers: { student_institution_id: "S-42", external_id: "X" },
    createdAt: new Date("2026-01-02T03:04:05Z"),
    modifiedAt: new Date("2026-01-03T03:04:05Z"),
    createdBy: null,
    modifiedBy: null,
  };
  const names = new Map([
    [7, { name: "Web Form", parentId: 5 }],
    [5, { name: "External", parentId: null }],
    [3, { name: "Hot", parentId: null }],
  ]);

  it("fills read-only names, the channel of the sub-channel and the .NET date forms", () => {
    expect(fromCanonical(view, names)).toMatchObject({
      Id: 42,
      StudentId: "S-42",
      Name: "Ada",
      DateOfBirth: "1815-12-10T00:00:00",
      SubChannelId: 7,
      SubChannelName: "Web Form",
      ChannelId: 5,
      ChannelName: "External",
      HeatStatusName: "Hot",
      SalutationId: null,
      SalutationName: null,
      HeatStatusChangeReason: null,
      DateCreated: "2026-01-02T03:04:05.000Z",
      // .NET clients bind these to non-nullable bools.
      Inactive: false,
      IsPermanentResident: false,
    });
  });

  it("names every reference id a ContactDto shows", () => {
    expect(referenceIdsOf(view).sort()).toEqual([3, 7]);
  });
});

describe("dates", () => {
  it.each([
    ["2025-01-22T22:12:56.0388671+11:00", "2025-01-22"],
    ["2025-01-22T23:59:59-12:00", "2025-01-22"],
    ["2025-01-22T00:00:00Z", "2025-01-22"],
    ["2025-01-22", "2025-01-22"],
    ["2025-01-22T22:12", "2025-01-22"],
    ["2025-01-22 22:12", null],
    ["2025-1-22", null],
    ["2023-02-29", null],
    ["2025-01-22T22:12:56+15:00", null],
    [" 2025-01-22", null],
  ])("readDateOnly(%s) = %s", (text, expected) => expect(readDateOnly(text)).toBe(expected));

  it.each([
    ["2025-01-22", "2025-01-22T00:00:00.000Z"],
    ["2025-01-22T10:00:00", "2025-01-22T10:00:00.000Z"],
    ["2025-01-22T10:00:00+10:00", "2025-01-22T00:00:00.000Z"],
    ["2025-01-22T22:12:56.0388671+11:00", "2025-01-22T11:12:56.038Z"],
  ])("readInstant(%s) = %s", (text, iso) => expect(readInstant(text)?.toISOString()).toBe(iso));
});

describe("readContactDtos", () => {
  const valid = {
    IsPermanentResident: true,
    HeatStatusId: 1,
    SubChannelId: 2,
    ContactStatusId: 3,
    Inactive: false,
  };

  it.each([
    {
      title: "an integer as a numeric string",
      dto: { ...valid, HeatStatusId: " 12 " },
      field: "HeatStatusId",
      value: 12,
    },
    { title: "a boolean as a string", dto: { ...valid, Inactive: "True" }, field: "Inactive", value: true },
    { title: "a number for a string", dto: { ...valid, StudentId: 123 }, field: "StudentId", value: "123" },
    { title: "a lower-case gender", dto: { ...valid, Gender: "n" }, field: "Gender", value: "N" },
    { title: "an empty gender", dto: { ...valid, Gender: "" }, field: "Gender", value: null },
    {
      title: "a differently cased name",
      dto: { ...valid, emailaddress: "a@b.org" },
      field: "EmailAddress",
      value: "a@b.org",
    },
  ])("converts $title", ({ dto, field, value }) => {
    const { dtos, errors } = readContactDtos([dto]);
    expect(errors).toEqual([]);
    expect(dtos[0][field]).toEqual(value);
  });

  it.each([
    {
      title: "a fractional id",
      dto: { ...valid, HeatStatusId: 1.5 },
      message: "Input string '1.5' is not a valid integer. Path '[0].HeatStatusId'.",
    },
    {
      title: "a boolean id",
      dto: { ...valid, HeatStatusId: true },
      message: "Input string 'true' is not a valid integer. Path '[0].HeatStatusId'.",
    },
    {
      title: "a number for a boolean",
      dto: { ...valid, Inactive: 1 },
      message: "Error converting value 1 to type 'System.Boolean'. Path '[0].Inactive'.",
    },
    {
      title: "an array for a string",
      dto: { ...valid, Name: ["a"] },
      message: "Unexpected character encountered while parsing value: [. Path '[0].Name'.",
    },
    {
      title: "a number for a date",
      dto: { ...valid, DateOfBirth: 19900101 },
      message: "Error reading date. Unexpected token: Integer. Path '[0].DateOfBirth'.",
    },
  ])("refuses $title on its own path", ({ dto, message }) => {
    const { errors } = readContactDtos([dto]);
    expect(errors.map((e) => e.message)).toEqual([message]);
  });

  it("keeps the valid fields of a contact that has errors", () => {
    const { dtos, errors } = readContactDtos([{ ...valid, Name: "Ada", HeatStatusId: "hot" }]);
    expect(errors).toHaveLength(1);
    expect(dtos[0]).toMatchObject({ Name: "Ada", SubChannelId: 2 });
    expect(dtos[0]).not.toHaveProperty("HeatStatusId");
  });
});
