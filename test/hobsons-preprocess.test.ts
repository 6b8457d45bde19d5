import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvLine } from "../src/formats/csv/write-csv.js";
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
        | "contactTasks",
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
      tags: await count("contactTags"),
      consents: await count("contactConsents"),
      activities: await count("contactActivities"),
      communications: await count("contactCommunications"),
      notes: await count("contactNotes"),
      tasks: await count("contactTasks"),
    });
    // People 0–9 appear in three rows (Expo tag + consent, BSc + communication, BA + Scholarship tag);
    // people 10–19 in two. Courses are packaged: one activity per person.
    expect(await counts()).toEqual({
      tags: 30,
      consents: 20,
      activities: 20,
      communications: 20,
      notes: 20,
      tasks: 20,
    });
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
    expect(await counts()).toEqual({
      tags: 30,
      consents: 20,
      activities: 20,
      communications: 20,
      notes: 20,
      tasks: 20,
    });
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
      key: "contacts[0].DateOfBirth",
    },
    {
      title: "a boolean holding maybe",
      body: [{ EmailAddress: "a@b.co" }, { EmailAddress: "a@b.co", Inactive: "maybe" }],
      key: "contacts[1].Inactive",
    },
    { title: "a row with no PI at all", body: [{ Tag: "orphan" }], key: "contacts[0]" },
    { title: "100,001 rows", body: Array.from({ length: 100_001 }, () => ({})), key: "contacts" },
  ])("refuses $title with a 400 in the Hobsons shape", async ({ body, key }) => {
    const res = await post("preprocessupsertcontacts", body);
    expect(res.statusCode).toBe(400);
    expect(res.json().Message).toBe("The request is invalid.");
    expect(Object.keys(res.json().ModelState)).toEqual([key]);
  });

  it("refuses a ragged CSV naming the row", async () => {
    const res = await post("preprocessupsertcontacts", "EmailAddress,Name\na@b.co,A,extra\n", "text/csv");
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json().ModelState)).toEqual(["contacts[0]"]);
  });
});
