import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReferenceKind } from "../src/core/contact-fields.js";
import { getContactChildren, getStatusHistory } from "../src/store/contacts/read-contacts.js";
import { addReferenceItem, listReferenceItems, updateReferenceItem } from "../src/store/reference-items.js";
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

  const refId = async (kind: ReferenceKind, name: string) =>
    (await listReferenceItems(t.store.db, t.tenant.id, kind)).find((i) => i.name === name)?.id;

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
    // References by name, case-insensitively; countries by name or ISO code.
    expect(contact).toMatchObject({
      salutationId: await refId("salutation", "Dr"),
      countryOfResidenceId: await refId("country", "Australia"),
      correspondenceCountryId: await refId("country", "New Zealand"),
      heatStatusId: await refId("heat_status", "Warm"),
      subChannelId: await refId("sub_channel", "Web Form"),
      contactStatusId: await refId("contact_status", "Enquirer"),
      intakeId: await refId("intake", "Semester 1"),
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

  it("writes every scalar member of ContactUpsertDto", async () => {
    const secondEmail = `kj.${process.pid}.${Date.now()}@example.org`;
    const id = (
      await post(
        "upsertcontact",
        upsertDto({
          MiddleName: "Coleman",
          Alias: "KJ",
          FormerName: "Coleman",
          Gender: "F",
          EmailAddress2: secondEmail,
          Mobile: "0400 000 001",
          PhoneWork: "02 0000 0002",
          PhoneHome: "02 0000 0003",
          FaxWork: "02 0000 0004",
          FaxHome: "02 0000 0005",
          CorrespondenceStreetAddressLine1: "1 Launch Rd",
          CorrespondenceStreetAddressLine2: "Building 4",
          CorrespondenceStreetAddressLine3: "Level 2",
          CorrespondenceTownSuburb: "Hampton",
          CorrespondenceStateCity: "Virginia",
          CorrespondencePostcode: "23666",
          CountryOfBirth: "australia",
          CountryOfCitizenship: "NZ",
          DualCountryOfCitizenship: "Australia",
          IsPermanentResident: true,
          VisaType: "Student",
          VisaExpiryDate: "2027-12-31T00:00:00",
          InclusionStatus: "None",
          SubscribedToDirectEmails: true,
          SubscribedToDirectPhoneCalls: false,
          SubscribedToDirectSms: true,
          Inactive: false,
        }),
      )
    ).json();
    const australia = await refId("country", "Australia");
    expect(await native(id)).toMatchObject({
      middleName: "Coleman",
      alias: "KJ",
      formerName: "Coleman",
      gender: "F",
      emailSecondary: secondEmail,
      phoneMobile: "0400 000 001",
      phoneWork: "02 0000 0002",
      phoneHome: "02 0000 0003",
      faxWork: "02 0000 0004",
      faxHome: "02 0000 0005",
      correspondenceLine1: "1 Launch Rd",
      correspondenceLine2: "Building 4",
      correspondenceLine3: "Level 2",
      correspondenceTown: "Hampton",
      correspondenceState: "Virginia",
      correspondencePostcode: "23666",
      countryOfBirthId: australia,
      countryOfCitizenshipId: await refId("country", "New Zealand"),
      dualCitizenshipCountryId: australia,
      isPermanentResident: true,
      visaType: "Student",
      visaExpiryDate: "2027-12-31",
      inclusionStatus: "None",
      subscribedDirectEmail: true,
      subscribedDirectPhone: false,
      subscribedDirectSms: true,
      inactive: false,
    });
  });

  it("PackageCourses false gives each course its own activity; no CreateTask, no task", async () => {
    const courses = [
      { PreferenceNumber: 1, Course: "BSc", Campus: "City" },
      { PreferenceNumber: 2, Course: "BA", Campus: "City" },
      { PreferenceNumber: 3, Course: "BCom" },
    ];
    const id = (
      await post(
        "upsertcontact",
        upsertDto({ PackageCourses: false, Courses: courses, CreateTask: false, TaskType: "Call" }),
      )
    ).json();
    const children = await getContactChildren(t.store.db, t.tenant.id, id);
    expect(children.activities).toHaveLength(3);
    expect(children.activities.map((a) => a.courses)).toEqual([
      [{ preferenceNumber: 1, course: "BSc", campus: "City" }],
      [{ preferenceNumber: 2, course: "BA", campus: "City" }],
      [{ preferenceNumber: 3, course: "BCom" }],
    ]);
    expect(children.tasks).toEqual([]);
    const packaged = (await post("upsertcontact", upsertDto({ Courses: courses }))).json();
    const one = await getContactChildren(t.store.db, t.tenant.id, packaged);
    expect(one.activities).toHaveLength(1);
    expect(one.activities[0].courses).toHaveLength(3);
  });

  it("an update changes only what the DTO carries: null and absent leave values, an empty string clears", async () => {
    const dto = upsertDto({
      Mobile: "0400 222 333",
      VisaExpiryDate: "2028-01-01",
      IsPermanentResident: true,
    });
    const id = (await post("upsertcontact", dto)).json();
    const kept = await post("updatecontact", {
      CrmNumber: id,
      Name: null,
      Mobile: null,
      HeatStatus: null,
      VisaExpiryDate: null,
      Alias: "Kat",
    });
    expect(kept.statusCode).toBe(200);
    expect(await native(id)).toMatchObject({
      givenName: "Katherine",
      surname: dto.Surname,
      phoneMobile: "0400 222 333",
      heatStatusId: await refId("heat_status", "Warm"),
      visaExpiryDate: "2028-01-01",
      intakeId: await refId("intake", "Semester 1"),
      alias: "Kat",
    });
    const cleared = await post("upsertcontacts", [
      { CrmNumber: id, Mobile: "", VisaExpiryDate: "", Intake: " ", IsPermanentResident: "" },
    ]);
    expect(cleared.json()).toEqual([{ CrmNumber: id, Status: "Updated" }]);
    const after = await native(id);
    for (const field of ["phoneMobile", "visaExpiryDate", "intakeId", "isPermanentResident"])
      expect(after[field] ?? null).toBeNull();
    expect(after).toMatchObject({ givenName: "Katherine", alias: "Kat" });
    expect((await post("upsertcontacts", [{ CrmNumber: id, Mobile: "" }])).json()).toEqual([
      { CrmNumber: id, Status: "Unchanged" },
    ]);
  });

  it("CrmNumber comes before StudentInstitutionId, which comes before the personal identifier", async () => {
    const a = upsertDto({ StudentInstitutionId: `SI-A-${counter}-${engine}` });
    const b = upsertDto({ StudentInstitutionId: `SI-B-${counter}-${engine}` });
    const [idA, idB] = (await post("upsertcontacts", [a, b]))
      .json()
      .map((r: { CrmNumber: number }) => r.CrmNumber);
    // B's personal identifier, A's StudentInstitutionId: A.
    const byStudent = await post("upsertcontacts", [
      { ...b, StudentInstitutionId: a.StudentInstitutionId, Alias: "via student id" },
    ]);
    expect(byStudent.json()).toEqual([{ CrmNumber: idA, Status: "Updated" }]);
    // A's CrmNumber with B's personal identifier and a new StudentInstitutionId: A, which gains the identifier.
    const fresh = `SI-C-${counter}-${engine}`;
    const byCrm = await post("upsertcontacts", [
      {
        CrmNumber: idA,
        EmailAddress: b.EmailAddress,
        Name: b.Name,
        Surname: b.Surname,
        StudentInstitutionId: fresh,
      },
    ]);
    expect(byCrm.json()).toEqual([{ CrmNumber: idA, Status: "Updated" }]);
    expect((await native(idA)).identifiers.student_institution_id).toBe(fresh);
    expect((await native(idB)).alias).not.toBe("via student id");
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
    // updatecontact matches without writing anything new: at the default threshold (82) the email
    // alone (50) is no match; a given name unlike all three (0.00) is ruled out at the default 0.4 …
    expect((await post("updatecontact", { EmailAddress: dto.EmailAddress })).statusCode).toBe(404);
    const xu = { ...dto, Name: "Xu", Alias: "Xu" };
    expect((await post("updatecontact", xu, "?contactMatchingMinConfirmedScore=50")).statusCode).toBe(404);
    // … and accepted with contactMatchingMinNameSimilarity=0: all three score 80, the highest CrmNumber wins.
    const loose = await post(
      "updatecontact",
      xu,
      "?contactMatchingMinConfirmedScore=50&contactMatchingMinNameSimilarity=0",
    );
    expect(loose.json()).toBe(Math.max(id, off.json()[0].CrmNumber, stranger.json()[0].CrmNumber));
    const bad = await post(
      "upsertcontacts",
      [dto],
      "?contactMatchingEnabled=maybe&contactMatchingMinConfirmedScore=101&contactMatchingMinNameSimilarity=abc",
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      Message: "The request is invalid.",
      ModelState: {
        contactMatchingEnabled: ["The value 'maybe' is not valid for Boolean."],
        contactMatchingMinConfirmedScore: [
          "The value '101' is not valid for contactMatchingMinConfirmedScore: it must be a number between 0 and 100.",
        ],
        contactMatchingMinNameSimilarity: [
          "The value 'abc' is not valid for contactMatchingMinNameSimilarity: it must be a number between 0 and 1.",
        ],
      },
    });
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
    {
      title: "an unknown CrmNumber",
      dto: { CrmNumber: 99_999_998, Name: "X" },
      key: "contact.CrmNumber",
      message: "The CrmNumber 99999998 does not match any contact of this institution.",
    },
    {
      title: "an unknown heat status name",
      dto: { HeatStatus: "Scorching" },
      key: "contact.HeatStatus",
      message: "The HeatStatus 'Scorching' does not exist in this institution's reference data.",
    },
    {
      title: "an unknown country",
      dto: { CountryOfBirth: "Atlantis" },
      key: "contact.CountryOfBirth",
      message: "The CountryOfBirth 'Atlantis' does not exist in this institution's reference data.",
    },
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

  it("refuses a deactivated reference named by its name, for new writes only", async () => {
    const retired = await addReferenceItem(t.store.db, t.tenant.id, { kind: "heat_status", name: "Tepid" });
    const id = (await post("upsertcontact", upsertDto({ HeatStatus: "tepid" }))).json();
    await updateReferenceItem(t.store.db, t.tenant.id, retired.id, { active: false });
    const res = await post("upsertcontact", upsertDto({ HeatStatus: "Tepid" }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      Message: "The request is invalid.",
      ModelState: {
        "contact.HeatStatus": ["The HeatStatus 'Tepid' is deactivated and cannot be used for new writes."],
      },
    });
    // The contact that has it keeps it through an update that repeats it.
    expect((await post("upsertcontacts", [{ CrmNumber: id, HeatStatus: "Tepid" }])).json()).toEqual([
      { CrmNumber: id, Status: "Unchanged" },
    ]);
  });

  it("upsertcontacts refuses a non-array, an empty array and more than 100, and is all-or-nothing", async () => {
    const refused = async (body: unknown, message: string) => {
      const res = await post("upsertcontacts", body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ Message: "The request is invalid.", ModelState: { contacts: [message] } });
    };
    await refused({}, "The body must be a JSON array of ContactUpsertDto.");
    await refused([], "The collection of contacts is empty; send at least one contact.");
    await refused(
      Array.from({ length: 101 }, () => ({})),
      "The collection has 101 contacts; at most 100 are accepted.",
    );
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

  it("Gender is one character, as the page's .NET char binds: `Female` is refused by its path, `f` taken as sent", async () => {
    const refused = await post("upsertcontacts", [upsertDto({ Gender: "Female" })]);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      Message: "The request is invalid.",
      ModelState: {
        "contacts[0].Gender": ["Could not convert \"Female\" to Char: one character. Path 'Gender'."],
      },
    });
    const taken = await post("upsertcontact", upsertDto({ Gender: "f" }));
    expect(taken.statusCode).toBe(200);
    expect((await native(Number(taken.json()))).gender).toBe("f");
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
