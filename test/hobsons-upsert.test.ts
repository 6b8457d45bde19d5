import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getContactChildren, getStatusHistory } from "../src/store/contacts/read-contacts.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

let counter = 0;

/** A ContactUpsertDto with a unique person, references by name, overridable member by member. */
function upsertDto(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    Name: "Katherine",
    Surname: `Johnson-${counter}`,
    EmailAddress: `katherine.${counter}.${process.pid}@example.edu`,
    DateOfBirth: "1918-08-26T00:00:00+10:00",
    Salutation: "Dr",
    CountryOfResidence: "AU",
    CorrespondenceCountry: "New Zealand",
    HeatStatus: "warm",
    SubChannel: "Web Form",
    ContactStatus: "Enquirer",
    Intake: "Semester 1",
    ...overrides,
  };
}

describe.each(testEngines)("Hobsons UpsertContact on %s", (engine) => {
  let t: TestApp;
  let token: string;
  const post = (path: string, body: unknown, query = "") =>
    t.app.inject({
      method: "POST",
      url: `/api/processes/${path}${query}`,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      payload: JSON.stringify(body),
    });
  const native = async (id: number) =>
    (
      await t.app.inject({
        url: `/api/v1/contacts/${id}`,
        headers: { authorization: `Bearer ${await t.token(["admin"])}` },
      })
    ).json();

  beforeAll(async () => {
    t = await openTestApp(engine, "hobsons_upsert");
    token = await t.token(["HobsonsApiUser"]);
  });
  afterAll(() => t.close());

  it("upsertcontact creates with references by name and every collection, answering the bare CrmNumber", async () => {
    const studentId = `SI-${process.pid}-${Date.now()}`;
    const dto = upsertDto({
      StudentInstitutionId: studentId,
      HeatStatusReason: "Attended open day",
      ContactStatusDate: "2026-03-01T09:00:00",
      ContactNoteContent: "Asked about scholarships",
      ContactNoteType: "Phone",
      CreateTask: true,
      TaskType: "Call back",
      TaskActionDate: "2026-03-08",
      Tags: [
        { Tag: "Open Day", TagDate: "2026-03-01" },
        { Tag: "Open Day", TagDate: "2026-03-01" },
      ],
      Consents: [{ Type: "Email", Consent: true }],
      PackageCourses: true,
      Courses: [
        { PreferenceNumber: 1, Course: "BSc Mathematics", Campus: "City" },
        { PreferenceNumber: 2, Course: "BEng Aerospace", Campus: "City" },
      ],
      Communications: [{ Incoming: true, Type: "Email", Subject: "Hello", Labels: "Lead;Open Day" }],
      SubscribedToDirectEmails: true,
    });
    const res = await post("upsertcontact", dto);
    expect(res.statusCode).toBe(200);
    const id = res.json();
    expect(typeof id).toBe("number");
    const contact = await native(id);
    expect(contact).toMatchObject({
      givenName: "Katherine",
      dateOfBirth: "1918-08-26",
      identifiers: { student_institution_id: studentId },
      subscribedDirectEmail: true,
      tags: [{ tag: "Open Day", taggedAt: "2026-03-01" }],
      consents: [{ type: "Email", granted: true }],
      notes: [{ content: "Asked about scholarships", noteType: "Phone" }],
      tasks: [{ taskType: "Call back", actionDate: "2026-03-08" }],
      communications: [{ incoming: true, type: "Email", subject: "Hello", labels: ["Lead", "Open Day"] }],
    });
    expect(contact.activities).toHaveLength(1);
    expect(contact.activities[0].courses).toHaveLength(2);
    const history = await getStatusHistory(t.store.db, t.tenant.id, id);
    expect(history.map((h) => [h.kind, h.statusName, h.reason])).toEqual(
      expect.arrayContaining([
        ["heat_status", "Warm", "Attended open day"],
        ["contact_status", "Enquirer", "Contact created through api/processes/upsertcontact"],
      ]),
    );
    expect(history.find((h) => h.kind === "contact_status")?.changedAt.toISOString()).toBe(
      "2026-03-01T09:00:00.000Z",
    );

    const again = await post("upsertcontacts", [dto]);
    expect(again.json()).toEqual([{ CrmNumber: id, Status: "Unchanged" }]);
    const children = await getContactChildren(t.store.db, t.tenant.id, id);
    expect(children.tags).toHaveLength(1);
    expect(children.activities).toHaveLength(1);
  });

  it("matches by CrmNumber, then StudentInstitutionId, then the scored personal identifier", async () => {
    const dto = upsertDto({ StudentInstitutionId: `SI-M-${counter}` });
    const id = (await post("upsertcontact", dto)).json();
    const byCrm = await post("upsertcontacts", [{ CrmNumber: id, Mobile: "0400 111 222" }]);
    expect(byCrm.json()).toEqual([{ CrmNumber: id, Status: "Updated" }]);
    const byStudent = await post("upsertcontacts", [
      { StudentInstitutionId: dto.StudentInstitutionId, PhoneHome: "02 9999 0000" },
    ]);
    expect(byStudent.json()).toEqual([{ CrmNumber: id, Status: "Updated" }]);
    // Same email, a slightly different given name, no date of birth: scores 88.8 ≥ 82.
    const byPi = await post("upsertcontacts", [
      {
        EmailAddress: ` ${String(dto.EmailAddress).toUpperCase()}`,
        Name: "Katharine",
        Surname: dto.Surname,
        FaxHome: "1",
      },
    ]);
    expect(byPi.json()).toEqual([{ CrmNumber: id, Status: "Updated" }]);
    const stored = await native(id);
    expect(stored).toMatchObject({
      phoneMobile: "0400 111 222",
      phoneHome: "02 9999 0000",
      faxHome: "1",
      givenName: "Katharine",
    });
  });

  it("honours the matching parameters", async () => {
    const dto = upsertDto();
    const id = (await post("upsertcontact", dto)).json();
    const sameEmailOnly = { EmailAddress: dto.EmailAddress };
    // Only the email (score 50): no match at the default 82, a match from 50.
    expect(
      (await post("upsertcontacts", [sameEmailOnly], "?contactMatchingMinConfirmedScore=50")).json(),
    ).toEqual([{ CrmNumber: id, Status: "Unchanged" }]);
    const off = await post("upsertcontacts", [{ ...dto }], "?contactMatchingEnabled=false");
    expect(off.json()[0].Status).toBe("Created");
    expect(off.json()[0].CrmNumber).not.toBe(id);
    // Another person's given name on the same email is never a match, however low the threshold.
    const stranger = await post(
      "upsertcontacts",
      [{ ...dto, Name: "Bo" }],
      "?contactMatchingMinConfirmedScore=0&contactMatchingMinNameSimilarity=0.4",
    );
    expect(stranger.json()[0].Status).toBe("Created");
    const bad = await post(
      "upsertcontacts",
      [dto],
      "?contactMatchingMinConfirmedScore=101&contactMatchingMinNameSimilarity=abc",
    );
    expect(bad.statusCode).toBe(400);
    expect(Object.keys(bad.json().ModelState)).toEqual([
      "contactMatchingMinConfirmedScore",
      "contactMatchingMinNameSimilarity",
    ]);
  });

  it("a tie between candidates goes to the highest CrmNumber", async () => {
    const dto = upsertDto();
    const first = (await post("upsertcontacts", [dto], "?contactMatchingEnabled=false")).json()[0].CrmNumber;
    const second = (await post("upsertcontacts", [dto], "?contactMatchingEnabled=false")).json()[0].CrmNumber;
    expect(second).toBeGreaterThan(first);
    expect((await post("upsertcontacts", [{ ...dto, Mobile: "1" }])).json()).toEqual([
      { CrmNumber: second, Status: "Updated" },
    ]);
  });

  it("two DTOs of one request for the same new person are one contact", async () => {
    const dto = upsertDto();
    const res = await post("upsertcontacts", [dto, { ...dto, Mobile: "0411" }]);
    const [a, b] = res.json();
    expect(a).toMatchObject({ Status: "Created" });
    expect(b).toEqual({ CrmNumber: a.CrmNumber, Status: "Updated" });
  });

  it("updatecontact updates only: no match is a 404 in the Hobsons shape", async () => {
    const dto = upsertDto();
    const id = (await post("upsertcontact", dto)).json();
    expect((await post("updatecontact", { CrmNumber: id, Alias: "KJ" })).json()).toBe(id);
    const missing = await post("updatecontact", upsertDto());
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      Message: "No contact matches the given CrmNumber, StudentInstitutionId or personal identifier.",
    });
  });

  it.each([
    { title: "an unknown CrmNumber", dto: { CrmNumber: 99_999_998, Name: "X" }, key: "contact.CrmNumber" },
    {
      title: "an unknown heat status name",
      dto: { HeatStatus: "Scorching" },
      key: "contact.HeatStatus",
      message: "The HeatStatus 'Scorching' does not exist in this institution's reference data.",
    },
    { title: "an unknown country", dto: { CountryOfBirth: "Atlantis" }, key: "contact.CountryOfBirth" },
    { title: "an unparseable date", dto: { DateOfBirth: "26/08/1918" }, key: "contact.DateOfBirth" },
    { title: "a boolean holding maybe", dto: { Inactive: "maybe" }, key: "contact.Inactive" },
    {
      title: "a consent without its answer",
      dto: { Consents: [{ Type: "SMS" }] },
      key: "contact.Consents[0].Consent",
    },
    { title: "a name too long", dto: { Name: "x".repeat(121) }, key: "contact.Name" },
  ])("refuses $title with a ModelState entry, writing nothing", async ({ dto, key, message }) => {
    const before = await t.store.db
      .selectFrom("contacts")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    const res = await post("upsertcontact", upsertDto(dto));
    expect(res.statusCode).toBe(400);
    expect(res.json().Message).toBe("The request is invalid.");
    expect(Object.keys(res.json().ModelState)).toEqual([key]);
    if (message) expect(res.json().ModelState[key]).toEqual([message]);
    const after = await t.store.db
      .selectFrom("contacts")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("upsertcontacts refuses a non-array, an empty array and more than 100, and is all-or-nothing", async () => {
    expect((await post("upsertcontacts", {})).statusCode).toBe(400);
    expect((await post("upsertcontacts", [])).statusCode).toBe(400);
    const tooMany = await post(
      "upsertcontacts",
      Array.from({ length: 101 }, () => ({})),
    );
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().ModelState.contacts[0]).toMatch(/101/);
    const good = upsertDto();
    const mixed = await post("upsertcontacts", [good, upsertDto({ EmailAddress: "not-an-email" })]);
    expect(mixed.statusCode).toBe(400);
    expect(Object.keys(mixed.json().ModelState)).toEqual(["contacts[1].EmailAddress"]);
    const search = await t.app.inject({
      url: `/api/contacts?emailAddress=${encodeURIComponent(String(good.EmailAddress))}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(search.json().Data).toEqual([]);
  });

  it("needs the Hobsons role", async () => {
    const other = await t.token(["contacts:write"]);
    const res = await t.app.inject({
      method: "POST",
      url: "/api/processes/upsertcontact",
      headers: { authorization: `Bearer ${other}`, "content-type": "application/json" },
      payload: "{}",
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ Message: "Authorization has been denied for this request." });
  });
});
