import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvLine } from "../src/formats/csv/write-csv.js";
import {
  contactUpsertDtoItemMembers,
  contactUpsertDtoMembers,
  preprocessSampleBody,
} from "./helpers/hobsons-fixtures.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

/** A spreadsheet-like input: `people` people over `rows` rows, each row adding one collection item. */
function spreadsheet(people: number, rows: number) {
  return Array.from({ length: rows }, (_, i) => {
    const p = i % people;
    const row: Record<string, unknown> = {
      EmailAddress: `student${p}@example.edu`,
      Name: `Given${p}`,
      Surname: `Family${p}`,
      DateOfBirth: `2000-01-${String((p % 28) + 1).padStart(2, "0")}T00:00:00`,
      Mobile: `0400 000 ${String(p).padStart(3, "0")}`,
      HeatStatus: "Warm",
      SubChannel: "Event",
      ContactStatus: "Enquirer",
      ContactNoteContent: `Met at the expo (${p})`,
      CreateTask: true,
      TaskType: "Follow up",
      TaskActionDate: "2026-04-01",
    };
    const item = Math.floor(i / people);
    if (item === 0)
      Object.assign(row, { Tag: "Expo 2026", TagDate: "2026-03-01", ConsentType: "Email", Consent: true });
    if (item === 1)
      Object.assign(row, {
        ActivityPreferenceNumber: 1,
        ActivityCourse: "BSc",
        ActivityCampus: "City",
        CommunicationType: "Email",
        CommunicationSubject: "Welcome",
        CommunicationLabels: "Expo;Lead",
      });
    if (item === 2)
      Object.assign(row, { ActivityPreferenceNumber: 2, ActivityCourse: "BA", Tag: "Scholarship" });
    return row;
  });
}

describe.each(testEngines)("Hobsons pre-processor on %s", (engine) => {
  let t: TestApp;
  let token: string;
  const post = (path: string, body: unknown, contentType = "application/json") =>
    t.app.inject({
      method: "POST",
      url: `/api/processes/${path}`,
      headers: { authorization: `Bearer ${token}`, "content-type": contentType },
      payload: typeof body === "string" ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    t = await openTestApp(engine, "hobsons_pre");
    token = await t.token(["HobsonsApiUser"]);
  });
  afterAll(() => t.close());

  it("pipeline: 50 rows of 20 people → OutData posted as is to upsertcontacts; a second run changes nothing", async () => {
    const pre = await post("preprocessupsertcontacts", spreadsheet(20, 50));
    expect(pre.statusCode).toBe(200);
    const processed = pre.json();
    expect(processed).toHaveLength(20);
    expect(processed[0]).toMatchObject({ InRow: 1, InRelatedRows: "21,41", OutRow: 1 });
    const outData = processed.map((p: { OutData: unknown }) => p.OutData);
    const first = await post("upsertcontacts", outData);
    expect(first.statusCode).toBe(200);
    expect(first.json().map((r: { Status: string }) => r.Status)).toEqual(new Array(20).fill("Created"));
    const ids = first.json().map((r: { CrmNumber: number }) => r.CrmNumber);

    const count = async (
      table:
        | "contactTags"
        | "contactConsents"
        | "contactActivities"
        | "contactCommunications"
        | "contactNotes"
        | "contactTasks"
        | "contactHeatStatusHistory"
        | "contactStatusHistory",
    ) =>
      Number(
        (
          await t.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as("n"))
            .where("tenantId", "=", t.tenant.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const counts = async () => ({
      courses: Number(
        (
          await t.store.db
            .selectFrom("contactActivities")
            .select(sql<number>`coalesce(sum(jsonb_array_length(courses::jsonb)), 0)`.as("n"))
            .where("tenantId", "=", t.tenant.id)
            .executeTakeFirstOrThrow()
        ).n,
      ),
      history: (await count("contactHeatStatusHistory")) + (await count("contactStatusHistory")),
      modified: String(
        (
          await t.store.db
            .selectFrom("contacts")
            .select(sql<string>`max(modified_at)::text`.as("m"))
            .where("tenantId", "=", t.tenant.id)
            .executeTakeFirstOrThrow()
        ).m,
      ),
      tags: await count("contactTags"),
      consents: await count("contactConsents"),
      activities: await count("contactActivities"),
      communications: await count("contactCommunications"),
      notes: await count("contactNotes"),
      tasks: await count("contactTasks"),
    });
    // People 0–9 appear in three rows (Expo tag + consent, BSc + communication, BA + Scholarship tag);
    // people 10–19 in two. Courses are packaged: one activity per person, 2 courses for 0–9, 1 for 10–19.
    // Each person has a heat-status and a contact-status history row.
    const expected = {
      courses: 30,
      history: 40,
      modified: (await counts()).modified,
      tags: 30,
      consents: 20,
      activities: 20,
      communications: 20,
      notes: 20,
      tasks: 20,
    };
    expect(await counts()).toEqual(expected);
    const person0 = (
      await t.app.inject({
        url: `/api/v1/contacts/${ids[0]}`,
        headers: { authorization: `Bearer ${await t.token(["admin"])}` },
      })
    ).json();
    expect(person0.activities[0].courses).toHaveLength(2);
    expect(person0.communications[0].labels).toEqual(["Expo", "Lead"]);

    const again = await post(
      "upsertcontacts",
      (await post("preprocessupsertcontacts", spreadsheet(20, 50)))
        .json()
        .map((p: { OutData: unknown }) => p.OutData),
    );
    expect(again.json()).toEqual(ids.map((id: number) => ({ CrmNumber: id, Status: "Unchanged" })));
    expect(await counts()).toEqual(expected);
  });

  it("reads the page's request sample verbatim into one ContactUpsertDto with every member of the page", async () => {
    const res = await post("preprocessupsertcontacts", preprocessSampleBody, "text/json");
    expect(res.statusCode).toBe(200);
    const processed = res.json();
    expect(processed).toHaveLength(1);
    expect(Object.keys(processed[0])).toEqual(["InRow", "InRelatedRows", "OutRow", "OutData"]);
    expect(processed[0]).toMatchObject({ InRow: 1, InRelatedRows: "2", OutRow: 1 });
    const out = processed[0].OutData;
    expect(Object.keys(out)).toEqual(contactUpsertDtoMembers);
    for (const [collection, members] of Object.entries(contactUpsertDtoItemMembers)) {
      expect(out[collection]).toHaveLength(1);
      expect(Object.keys(out[collection][0])).toEqual(members);
    }
    expect(out).toMatchObject({
      CrmNumber: 1,
      StudentInstitutionId: "sample string 1",
      Mobile: "sample string 10",
      CorrespondenceCountry: "sample string 21",
      SubscribedToDirectSms: true,
      TaskActionDate: "2025-01-22T22:11:46.0401844+11:00",
      PackageCourses: true,
      Tags: [{ Tag: "sample string 38", TagDate: "2025-01-22T22:11:46.0401844+11:00" }],
      Consents: [{ Type: "sample string 39", Consent: true }],
      Courses: [
        {
          PreferenceNumber: 1,
          StudyLevel: "sample string 40",
          Faculty: "sample string 41",
          Course: "sample string 42",
          Department: "sample string 43",
          Campus: "sample string 44",
          StudyArea: "sample string 45",
        },
      ],
      Communications: [
        {
          Incoming: true,
          Category: "sample string 46",
          Type: "sample string 47",
          Headline: "sample string 48",
          Labels: "sample string 49",
          Subject: "sample string 50",
          Code: "sample string 51",
          Effectiveness: "sample string 52",
          FromEmailAddress: "sample string 53",
          ToEmailAddress: "sample string 54",
          SendExternal: true,
          Source: "sample string 55",
          ReferralSource: "sample string 56",
          DateCreated: "2025-01-22T22:11:46.0401844+11:00",
        },
      ],
    });
    expect(processed[0]).not.toHaveProperty("Warnings");
  });

  it("reports a conflicting later value in Warnings and keeps the first", async () => {
    const res = await post("preprocessupsertcontacts", [
      { EmailAddress: "w@example.edu", Mobile: "0411" },
      { EmailAddress: "W@example.edu ", Mobile: "0400", Tag: "A" },
    ]);
    expect(res.json()).toEqual([
      expect.objectContaining({
        InRow: 1,
        InRelatedRows: "2",
        OutRow: 1,
        OutData: expect.objectContaining({ Mobile: "0411", Tags: [{ Tag: "A", TagDate: null }] }),
        Warnings: ["Row 2: Mobile '0400' differs from row 1's '0411'; row 1's value was kept."],
      }),
    ]);
  });

  it("accepts the spreadsheet itself as text/csv", async () => {
    const columns = [
      "EmailAddress",
      "Name",
      "Surname",
      "DateOfBirth",
      "Tag",
      "Consent",
      "ActivityPreferenceNumber",
    ];
    const csv = [
      csvLine(columns),
      csvLine(["csv@example.edu", "Casey", "Vale", "1999-05-05", "Open Day", "true", "1"]),
      csvLine(["CSV@example.edu", "casey", "vale", "1999-05-05", "Expo", "", ""]),
      csvLine(["other@example.edu", "Olly", "Other", "", "", "false", ""]),
    ].join("");
    const res = await post("preprocessupsertcontacts", csv, "text/csv");
    expect(res.statusCode).toBe(200);
    const [casey, olly] = res.json();
    expect(casey).toMatchObject({
      InRow: 1,
      InRelatedRows: "2",
      OutData: {
        Name: "Casey",
        Tags: [{ Tag: "Open Day" }, { Tag: "Expo" }],
        Courses: [{ PreferenceNumber: 1 }],
      },
    });
    expect(olly.OutData.DateOfBirth).toBeNull();
  });

  it.each([
    {
      title: "an unparseable date",
      body: [{ EmailAddress: "a@b.co", DateOfBirth: "31/12/2000" }],
      modelState: {
        "contacts[0].DateOfBirth": [
          "Row 1, column DateOfBirth: '31/12/2000' is not an ISO 8601 date (YYYY-MM-DD).",
        ],
      },
    },
    {
      title: "a boolean holding maybe",
      body: [{ EmailAddress: "a@b.co" }, { EmailAddress: "a@b.co", Inactive: "maybe" }],
      modelState: { "contacts[1].Inactive": ["Row 2, column Inactive: 'maybe' is not true or false."] },
    },
    {
      title: "a row with no PI at all",
      body: [{ Tag: "orphan" }],
      modelState: {
        "contacts[0]": [
          "Row 1 has no Personal Identifier: give at least one of EmailAddress, Surname, Name, DateOfBirth, CrmNumber, StudentInstitutionId.",
        ],
      },
    },
    {
      title: "100,001 rows",
      body: Array.from({ length: 100_001 }, () => ({})),
      modelState: { contacts: ["The collection has 100001 rows; at most 100000 are accepted."] },
    },
    {
      title: "several bad rows",
      body: [
        { EmailAddress: "a@b.co", TagDate: "tomorrow" },
        { EmailAddress: "b@b.co" },
        { Consent: "maybe", CommunicationDateCreated: "1/1/2026" },
      ],
      modelState: {
        "contacts[0].TagDate": ["Row 1, column TagDate: 'tomorrow' is not an ISO 8601 date (YYYY-MM-DD)."],
        "contacts[2].Consent": ["Row 3, column Consent: 'maybe' is not true or false."],
        "contacts[2].CommunicationDateCreated": [
          "Row 3, column CommunicationDateCreated: '1/1/2026' is not an ISO 8601 date (YYYY-MM-DD).",
        ],
        "contacts[2]": [
          "Row 3 has no Personal Identifier: give at least one of EmailAddress, Surname, Name, DateOfBirth, CrmNumber, StudentInstitutionId.",
        ],
      },
    },
  ])(
    "refuses $title with a 400 in the Hobsons shape naming the row and column",
    async ({ body, modelState }) => {
      const before = await t.store.db
        .selectFrom("contacts")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow();
      const res = await post("preprocessupsertcontacts", body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ Message: "The request is invalid.", ModelState: modelState });
      const after = await t.store.db
        .selectFrom("contacts")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    },
  );

  it("refuses bad CSV cells naming the spreadsheet row (the one after the header is row 1) and column", async () => {
    const csv = [
      csvLine(["EmailAddress", "Inactive", "DateOfBirth"]),
      csvLine(["a@b.co", "true", "2000-01-01"]),
      csvLine(["b@b.co", "maybe", "01/02/2000"]),
    ].join("");
    const res = await post("preprocessupsertcontacts", csv, "text/csv");
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      Message: "The request is invalid.",
      ModelState: {
        "contacts[1].Inactive": ["Row 2, column Inactive: 'maybe' is not true or false."],
        "contacts[1].DateOfBirth": [
          "Row 2, column DateOfBirth: '01/02/2000' is not an ISO 8601 date (YYYY-MM-DD).",
        ],
      },
    });
  });

  it("refuses a ragged CSV naming the row", async () => {
    const res = await post("preprocessupsertcontacts", "EmailAddress,Name\na@b.co,A,extra\n", "text/csv");
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json().ModelState)).toEqual(["contacts[0]"]);
  });
});
