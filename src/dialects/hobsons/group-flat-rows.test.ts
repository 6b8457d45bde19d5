import { describe, expect, it } from "vitest";
import { groupFlatRows, maxFlatRows } from "./group-flat-rows.js";

const flatRow = (overrides: Record<string, unknown> = {}) => ({
  EmailAddress: "ada@example.org",
  Name: "Ada",
  Surname: "Lovelace",
  DateOfBirth: "1815-12-10",
  ...overrides,
});

describe("groupFlatRows", () => {
  it("groups rows whose normalised Personal Identifier is the same, in order of first appearance", () => {
    const { contacts, errors } = groupFlatRows([
      flatRow({ Tag: "A" }),
      flatRow({ EmailAddress: "grace@example.org", Name: "Grace", Surname: "Hopper", DateOfBirth: null }),
      flatRow({
        EmailAddress: " ADA@Example.org ",
        Name: "ada",
        Surname: "  LOVELACE",
        DateOfBirth: "1815-12-10T08:00:00+11:00",
        Tag: "B",
      }),
      flatRow({ EmailAddress: "grace@example.org", Name: "Grace", Surname: "Hopper", DateOfBirth: "" }),
    ]);
    expect(errors).toEqual([]);
    expect(contacts.map((c) => [c.InRow, c.InRelatedRows, c.OutRow])).toEqual([
      [1, "3", 1],
      [2, "4", 2],
    ]);
    expect(contacts[0].OutData.Tags).toEqual([
      { Tag: "A", TagDate: null },
      { Tag: "B", TagDate: null },
    ]);
  });

  it.each([
    {
      title: "an absent value equals only an absent value",
      a: { DateOfBirth: null },
      b: { DateOfBirth: "  " },
      groups: 1,
    },
    {
      title: "an absent date of birth is not a present one",
      a: { DateOfBirth: null },
      b: { DateOfBirth: "1815-12-10" },
      groups: 2,
    },
    { title: "CrmNumber takes part", a: { CrmNumber: 5 }, b: { CrmNumber: 6 }, groups: 2 },
    {
      title: "StudentInstitutionId takes part",
      a: { StudentInstitutionId: "S1" },
      b: { StudentInstitutionId: "S1 " },
      groups: 1,
    },
  ])("$title", ({ a, b, groups }) => {
    expect(groupFlatRows([flatRow(a), flatRow(b)]).contacts).toHaveLength(groups);
  });

  it("first non-empty scalar wins; a later different value is reported, not dropped silently", () => {
    const { contacts } = groupFlatRows([
      flatRow({ Mobile: "" }),
      flatRow({ Mobile: "0411" }),
      flatRow({ Mobile: "0400" }),
      flatRow({ Mobile: "0411" }),
    ]);
    expect(contacts[0].OutData.Mobile).toBe("0411");
    expect(contacts[0].Warnings).toEqual([
      "Row 3: Mobile '0400' differs from row 2's '0411'; row 2's value was kept.",
    ]);
  });

  it("collections: prefixes stripped, identical items once, no empty items, Labels kept as the string", () => {
    const comm = {
      CommunicationType: "Email",
      CommunicationLabels: "Lead;Open Day",
      CommunicationIncoming: true,
    };
    const { contacts } = groupFlatRows([
      flatRow({
        ConsentType: "SMS",
        Consent: false,
        ActivityPreferenceNumber: 1,
        ActivityCourse: "BSc",
        ...comm,
      }),
      flatRow({
        ConsentType: "SMS",
        Consent: false,
        ActivityPreferenceNumber: 2,
        ActivityCourse: "BA",
        ...comm,
      }),
      flatRow({}),
    ]);
    const out = contacts[0].OutData;
    expect(out.Consents).toEqual([{ Type: "SMS", Consent: false }]);
    expect((out.Courses as unknown[]).length).toBe(2);
    expect((out.Courses as Array<Record<string, unknown>>)[0]).toEqual({
      PreferenceNumber: 1,
      StudyLevel: null,
      Faculty: null,
      Course: "BSc",
      Department: null,
      Campus: null,
      StudyArea: null,
    });
    expect(out.Communications).toHaveLength(1);
    expect((out.Communications as Array<Record<string, unknown>>)[0]).toMatchObject({
      Type: "Email",
      Labels: "Lead;Open Day",
      Incoming: true,
    });
    expect(out.Tags).toEqual([]);
    expect(out.PackageCourses).toBe(true);
  });

  it("PackageCourses defaults to true and the first given value wins", () => {
    expect(
      groupFlatRows([flatRow({ PackageCourses: false }), flatRow({ PackageCourses: true })]).contacts[0]
        .OutData.PackageCourses,
    ).toBe(false);
  });

  it("the page's sample: two identical rows are one contact with InRelatedRows '2'", () => {
    const sample = flatRow({
      CrmNumber: 1,
      StudentInstitutionId: "sample string 1",
      Tag: "sample string 38",
      TagDate: "2025-01-22T22:11:46.0401844+11:00",
    });
    const { contacts } = groupFlatRows([sample, { ...sample }]);
    expect(contacts).toMatchObject([{ InRow: 1, InRelatedRows: "2", OutRow: 1 }]);
    expect(contacts[0].OutData.Tags).toHaveLength(1);
  });

  it.each([
    {
      title: "an unparseable date",
      row: flatRow({ DateOfBirth: "10/12/1815" }),
      key: "contacts[0].DateOfBirth",
      message: /Row 1, column DateOfBirth/,
    },
    {
      title: "a boolean holding maybe",
      row: flatRow({ Consent: "maybe" }),
      key: "contacts[0].Consent",
      message: /'maybe' is not true or false/,
    },
    {
      title: "a row with no PI at all",
      row: { Tag: "orphan" },
      key: "contacts[0]",
      message: /no Personal Identifier/,
    },
    { title: "a row that is not an object", row: 42, key: "contacts[0]", message: /JSON object/ },
  ])("refuses $title naming the row and column", ({ row, key, message }) => {
    const { errors, contacts } = groupFlatRows([row]);
    expect(contacts).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe(key);
    expect(errors[0].message).toMatch(message);
  });

  it("refuses more rows than allowed, and a body that is no array", () => {
    expect(groupFlatRows(new Array(maxFlatRows + 1).fill({})).errors[0].code).toBe(
      "REQUEST_TOO_MANY_RECORDS",
    );
    expect(groupFlatRows({}).errors[0].code).toBe("REQUEST_BODY_INVALID");
  });

  it("groups 100,000 rows in linear time", () => {
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        flatRow({ EmailAddress: `p${i % (n / 5)}@example.org`, Tag: `T${i % 3}` }),
      );
    const time = (n: number) => {
      const input = rows(n);
      const t0 = performance.now();
      expect(groupFlatRows(input).contacts).toHaveLength(n / 5);
      return performance.now() - t0;
    };
    time(10_000);
    const small = time(10_000);
    const large = time(100_000);
    // Generous bound: linear would be 10×; a quadratic grouping would be ~100×.
    expect(large / small).toBeLessThan(30);
  });
});
