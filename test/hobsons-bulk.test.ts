import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/auth/password-hash.js";
import { issueToken, revokeToken } from "../src/store/api-tokens.js";
import { addReferenceItem, updateReferenceItem } from "../src/store/reference-items.js";
import { createUser } from "../src/store/users.js";
import { type HobsonsRefs, hobsonsContact, hobsonsRefs, pageSampleBody } from "./helpers/hobsons-fixtures.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

const denied = { Message: "Authorization has been denied for this request." };
const invalid = (modelState: Record<string, string[]>) => ({
  Message: "The request is invalid.",
  ModelState: modelState,
});

describe.each(testEngines)("Hobsons api/bulk/contacts on %s", (engine) => {
  let t: TestApp;
  let token: string;
  let refs: HobsonsRefs;
  const post = (body: unknown, headers: Record<string, string> = {}, auth: string | null = token) =>
    t.app.inject({
      method: "POST",
      url: "/api/bulk/contacts",
      headers: {
        ...(auth === null ? {} : { authorization: `Bearer ${auth}` }),
        "content-type": "application/json",
        ...headers,
      },
      payload: typeof body === "string" ? body : JSON.stringify(body),
    });
  const get = (url: string, auth = token) =>
    t.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${auth}` } });
  const contactCount = async () =>
    Number(
      (
        await t.store.db
          .selectFrom("contacts")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await openTestApp(engine, "hobsons_bulk", { bodyLimit: 1024 * 1024 });
    token = await t.token(["HobsonsApiUser"]);
    refs = await hobsonsRefs(t);
  });
  afterAll(() => t.close());

  describe("the page's sample body", () => {
    const withExistingIds = (text: string) =>
      text
        .replaceAll('"SalutationId": 1', `"SalutationId": ${refs.salutation}`)
        .replaceAll('"CountryOfResidenceId": 1', `"CountryOfResidenceId": ${refs.country}`)
        .replaceAll('"CountryOfCitizenshipId": 1', `"CountryOfCitizenshipId": ${refs.otherCountry}`)
        .replaceAll('"CountryOfBirthId": 1', `"CountryOfBirthId": ${refs.country}`)
        .replaceAll('"HeatStatusId": 1', `"HeatStatusId": ${refs.heatStatus}`)
        .replaceAll('"SubChannelId": 1', `"SubChannelId": ${refs.externalSubChannel}`)
        .replaceAll('"ContactStatusId": 1', `"ContactStatusId": ${refs.contactStatus}`);

    it("with only the reference ids replaced, is refused for the values that break the page's own rules", async () => {
      // The page's help-page generator wrote placeholders: Gender "A" (the page allows M F X N), an
      // EmailAddress that is no address, and one StudentId for both contacts.
      const before = await contactCount();
      const res = await post(withExistingIds(pageSampleBody));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual(
        invalid({
          "contacts[0].Gender": ["The field Gender must be one of 'M', 'F', 'X', 'N'; 'A' is not."],
          "contacts[0].EmailAddress": ["The EmailAddress field is not a valid e-mail address."],
          "contacts[1].Gender": ["The field Gender must be one of 'M', 'F', 'X', 'N'; 'A' is not."],
          "contacts[1].StudentId": [
            "The StudentId 'sample string 2' is also given to contacts[0]; a StudentId belongs to one contact.",
          ],
          "contacts[1].EmailAddress": ["The EmailAddress field is not a valid e-mail address."],
        }),
      );
      expect(await contactCount()).toBe(before);
    });

    it("with valid placeholders, is inserted in one transaction and read back", async () => {
      const body = withExistingIds(pageSampleBody)
        .replace('"StudentId": "sample string 2"', '"StudentId": "sample-A"')
        .replace('"StudentId": "sample string 2"', '"StudentId": "sample-B"')
        .replaceAll('"Gender": "A"', '"Gender": "X"')
        .replaceAll('"EmailAddress": "sample string 9"', '"EmailAddress": "sample9@example.edu"');
      const res = await post(body);
      expect(res.statusCode).toBe(200);
      const ids = res.json() as number[];
      expect(ids).toHaveLength(2);
      expect(ids[1]).toBeGreaterThan(ids[0]);
      const got = await get(`/api/contacts/${ids[0]}`);
      expect(got.statusCode).toBe(200);
      const dto = got.json();
      expect(dto).toEqual({
        Id: ids[0],
        StudentId: "sample-A",
        SalutationId: refs.salutation,
        SalutationName: "Dr",
        Name: "sample string 4",
        Surname: "sample string 5",
        MiddleName: "sample string 6",
        Alias: "sample string 7",
        FormerName: "sample string 8",
        Gender: "X",
        // 22:12 at +11:00 is still the 22nd as written: the time is dropped, the zone never shifts the date.
        DateOfBirth: "2025-01-22T00:00:00",
        EmailAddress: "sample9@example.edu",
        IsPermanentResident: true,
        CountryOfResidenceId: refs.country,
        CountryOfResidenceName: "Australia",
        CountryOfCitizenshipId: refs.otherCountry,
        CountryOfCitizenshipName: "New Zealand",
        CountryOfBirthId: refs.country,
        CountryOfBirthName: "Australia",
        DateCreated: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        DateModified: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        HeatStatusId: refs.heatStatus,
        HeatStatusName: "Hot",
        HeatStatusChangeReason: null,
        SubChannelId: refs.externalSubChannel,
        SubChannelName: "Web Form",
        ChannelId: expect.any(Number),
        ChannelName: "External",
        ContactStatusId: refs.contactStatus,
        ContactStatusName: "Enquirer",
        ContactStatusChangeReason: null,
        IntakeId: null,
        IntakeName: null,
        Inactive: true,
      });
      // The read-only values of the body (Id 1, IntakeId 1, DateCreated 2025) were not stored.
      expect(dto.DateCreated.startsWith("2025-01-22T11:12")).toBe(false);
      const history = await get(`/api/v1/contacts/${ids[1]}/history`, await t.token(["contacts:read"]));
      expect(history.json().data.map((h: { kind: string; reason: string }) => [h.kind, h.reason])).toEqual([
        ["heat_status", "sample string 15"],
        ["contact_status", "sample string 19"],
      ]);
    });
  });

  it("accepts text/json and answers the new ids in input order", async () => {
    const inputs = [hobsonsContact(refs), hobsonsContact(refs), hobsonsContact(refs)];
    const res = await post(inputs, { "content-type": "text/json; charset=utf-8" });
    expect(res.statusCode).toBe(200);
    const ids = res.json() as number[];
    for (const [i, id] of ids.entries()) {
      const dto = (await get(`/api/contacts/${id}`)).json();
      expect(dto.StudentId).toBe(inputs[i].StudentId);
    }
  });

  it("ignores read-only fields whatever their values, and unknown members", async () => {
    const input = hobsonsContact(refs, {
      Id: "not a number",
      SalutationName: 42,
      DateCreated: "yesterday",
      DateModified: { nested: true },
      ChannelId: [1, 2],
      ChannelName: null,
      IntakeId: -5,
      IntakeName: "x".repeat(500),
      HeatStatusName: false,
      FavouriteColour: "teal",
    });
    const res = await post([input]);
    expect(res.statusCode).toBe(200);
    const dto = (await get(`/api/contacts/${res.json()[0]}`)).json();
    expect(dto).toMatchObject({ IntakeId: null, HeatStatusName: "Hot", SalutationName: "Dr" });
    expect(dto.Id).toBe(res.json()[0]);
  });

  it("binds member names case-insensitively and converts as Json.NET does", async () => {
    const res = await post([
      {
        studentid: 12345678,
        name: "Alan",
        SURNAME: "Turing",
        gender: "m",
        isPermanentResident: "true",
        heatStatusId: String(refs.heatStatus),
        subChannelId: refs.externalSubChannel,
        contactStatusId: refs.contactStatus,
        inactive: false,
        DateOfBirth: "1912-06-23",
      },
    ]);
    expect(res.statusCode).toBe(200);
    expect((await get(`/api/contacts/${res.json()[0]}`)).json()).toMatchObject({
      StudentId: "12345678",
      Name: "Alan",
      Surname: "Turing",
      Gender: "M",
      IsPermanentResident: true,
      HeatStatusId: refs.heatStatus,
      DateOfBirth: "1912-06-23T00:00:00",
    });
  });

  it("reports every violation of every contact at once, nothing written", async () => {
    const before = await contactCount();
    const res = await post([
      hobsonsContact(refs),
      hobsonsContact(refs, {
        StudentId: "x".repeat(31),
        Name: "n".repeat(121),
        MiddleName: "m".repeat(101),
        EmailAddress: `${"e".repeat(250)}@x.io`,
        HeatStatusChangeReason: "r".repeat(101),
        Gender: "Q",
        SalutationId: 0,
        CountryOfBirthId: 100_000_000,
      }),
      hobsonsContact(refs, {
        IsPermanentResident: undefined,
        HeatStatusId: null,
        SubChannelId: undefined,
        ContactStatusId: undefined,
        Inactive: undefined,
        DateOfBirth: "1899-12-31",
      }),
      hobsonsContact(refs, {
        HeatStatusId: "hot",
        Inactive: "nope",
        DateOfBirth: "22/01/2025",
        Name: { a: 1 },
      }),
      hobsonsContact(refs, { EmailAddress: "not-an-address", DateOfBirth: "2100-01-01T00:00:00Z" }),
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(
      invalid({
        "contacts[1].StudentId": ["The field StudentId must be a string with a maximum length of 30."],
        "contacts[1].SalutationId": ["The field SalutationId must be between 1 and 99999999."],
        "contacts[1].Name": ["The field Name must be a string with a maximum length of 120."],
        "contacts[1].MiddleName": ["The field MiddleName must be a string with a maximum length of 100."],
        "contacts[1].Gender": ["The field Gender must be one of 'M', 'F', 'X', 'N'; 'Q' is not."],
        "contacts[1].EmailAddress": ["The field EmailAddress must be a string with a maximum length of 254."],
        "contacts[1].CountryOfBirthId": ["The field CountryOfBirthId must be between 1 and 99999999."],
        "contacts[1].HeatStatusChangeReason": [
          "The field HeatStatusChangeReason must be a string with a maximum length of 100.",
        ],
        "contacts[2].DateOfBirth": ["The field DateOfBirth must be between 1900-01-01 and 2099-12-31."],
        "contacts[2].IsPermanentResident": ["The IsPermanentResident field is required."],
        "contacts[2].HeatStatusId": ["The HeatStatusId field is required."],
        "contacts[2].SubChannelId": ["The SubChannelId field is required."],
        "contacts[2].ContactStatusId": ["The ContactStatusId field is required."],
        "contacts[2].Inactive": ["The Inactive field is required."],
        "contacts[3].Name": ["Unexpected character encountered while parsing value: {. Path '[3].Name'."],
        "contacts[3].DateOfBirth": [
          "Could not convert string to DateTime: 22/01/2025; send an ISO 8601 date such as 1990-05-01 or 1990-05-01T00:00:00+10:00. Path '[3].DateOfBirth'.",
        ],
        "contacts[3].HeatStatusId": ["Could not convert string to integer: hot. Path '[3].HeatStatusId'."],
        "contacts[3].Inactive": ["Could not convert string to boolean: nope. Path '[3].Inactive'."],
        "contacts[4].DateOfBirth": ["The field DateOfBirth must be between 1900-01-01 and 2099-12-31."],
        "contacts[4].EmailAddress": ["The EmailAddress field is not a valid e-mail address."],
      }),
    );
    expect(await contactCount()).toBe(before);
  });

  // A StudentId of exactly `length` characters that no other test uses.
  const uniqueText = (length: number) =>
    `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`.padEnd(length, "x").slice(0, length);

  it.each([
    { field: "StudentId", limit: 30, value: uniqueText },
    { field: "Name", limit: 120 },
    { field: "Surname", limit: 120 },
    { field: "MiddleName", limit: 100 },
    { field: "Alias", limit: 120 },
    { field: "FormerName", limit: 120 },
    { field: "EmailAddress", limit: 254, value: (n: number) => `${"e".repeat(n - 12)}@example.edu` },
    { field: "HeatStatusChangeReason", limit: 100 },
    { field: "ContactStatusChangeReason", limit: 100 },
  ])("$field: $limit characters are accepted, one more is refused", async ({ field, limit, value }) => {
    const make = value ?? ((n: number) => "a".repeat(n));
    const before = await contactCount();
    const res = await post([
      hobsonsContact(refs, { [field]: make(limit) }),
      hobsonsContact(refs, { [field]: make(limit + 1) }),
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(
      invalid({
        [`contacts[1].${field}`]: [`The field ${field} must be a string with a maximum length of ${limit}.`],
      }),
    );
    expect(await contactCount()).toBe(before);
    expect((await post([hobsonsContact(refs, { [field]: make(limit) })])).statusCode).toBe(200);
  });

  it.each([
    "SalutationId",
    "CountryOfResidenceId",
    "CountryOfCitizenshipId",
    "CountryOfBirthId",
    "HeatStatusId",
    "SubChannelId",
    "ContactStatusId",
  ])(
    "%s: 0 and 100,000,000 are out of range, an unknown id in range is refused, all at once",
    async (field) => {
      const before = await contactCount();
      const res = await post([
        hobsonsContact(refs, { [field]: 0 }),
        hobsonsContact(refs, { [field]: 100_000_000 }),
        hobsonsContact(refs, { [field]: 99_999_999 }),
      ]);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual(
        invalid({
          [`contacts[0].${field}`]: [`The field ${field} must be between 1 and 99999999.`],
          [`contacts[1].${field}`]: [`The field ${field} must be between 1 and 99999999.`],
          [`contacts[2].${field}`]: [
            `The ${field} 99999999 does not exist in this institution's reference data.`,
          ],
        }),
      );
      expect(await contactCount()).toBe(before);
    },
  );

  it("reports binding errors and database errors (references, StudentId taken, channel) together", async () => {
    const retired = await addReferenceItem(t.store.db, t.tenant.id, {
      kind: "contact_status",
      name: `Retired ${engine}`,
    });
    await updateReferenceItem(t.store.db, t.tenant.id, retired.id, { active: false });
    const existing = hobsonsContact(refs);
    const [owner] = (await post([existing])).json() as number[];
    const before = await contactCount();
    const res = await post([
      hobsonsContact(refs, {
        Name: "n".repeat(121),
        SalutationId: 99_999_999,
        SubChannelId: refs.internalSubChannel,
      }),
      hobsonsContact(refs, { StudentId: existing.StudentId, Gender: "Q" }),
      hobsonsContact(refs, { EmailAddress: "not-an-address", ContactStatusId: retired.id }),
      hobsonsContact(refs, { Inactive: undefined, CountryOfBirthId: refs.heatStatus }),
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(
      invalid({
        "contacts[0].Name": ["The field Name must be a string with a maximum length of 120."],
        "contacts[0].SalutationId": [
          "The SalutationId 99999999 does not exist in this institution's reference data.",
        ],
        "contacts[0].SubChannelId": [
          `The SubChannelId ${refs.internalSubChannel} does not belong to the channel named 'External'; only External sub-channels are accepted.`,
        ],
        "contacts[1].Gender": ["The field Gender must be one of 'M', 'F', 'X', 'N'; 'Q' is not."],
        "contacts[1].StudentId": [
          `The StudentId '${existing.StudentId}' is already used by contact ${owner}.`,
        ],
        "contacts[2].EmailAddress": ["The EmailAddress field is not a valid e-mail address."],
        "contacts[2].ContactStatusId": [
          `The ContactStatusId ${retired.id} is deactivated and cannot be used for new writes.`,
        ],
        "contacts[3].Inactive": ["The Inactive field is required."],
        "contacts[3].CountryOfBirthId": [
          `The CountryOfBirthId ${refs.heatStatus} does not exist in this institution's reference data.`,
        ],
      }),
    );
    expect(await contactCount()).toBe(before);
  });

  it("a StudentId refused by binding is not checked again by the database, and nothing is written", async () => {
    const before = await contactCount();
    const twin = hobsonsContact(refs);
    const res = await post([twin, { ...twin, EmailAddress: "also-not-an-address" }]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(
      invalid({
        "contacts[1].StudentId": [
          `The StudentId '${twin.StudentId}' is also given to contacts[0]; a StudentId belongs to one contact.`,
        ],
        "contacts[1].EmailAddress": ["The EmailAddress field is not a valid e-mail address."],
      }),
    );
    expect(await contactCount()).toBe(before);
  });

  it.each([
    ["22/01/2025"],
    ["01-22-2025"],
    ["2025/01/22"],
    ["Jan 22 2025"],
    ["2025-01-22T22:12:56.03886711+11:00"],
    ["2025-02-30"],
    ["2025-01-22T25:00:00"],
    ["20250122"],
    ["/Date(1737544376038)/"],
  ])("refuses the non-ISO (or unreal) date %s", async (date) => {
    const res = await post([hobsonsContact(refs, { DateOfBirth: date })]);
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json().ModelState)).toEqual(["contacts[0].DateOfBirth"]);
  });

  it.each([
    ["2025-01-22T22:12:56.0388671+11:00", "2025-01-22"],
    ["2025-01-22T00:30:00-10:00", "2025-01-22"],
    ["1900-01-01T23:59:59.9999999Z", "1900-01-01"],
    ["2099-12-31", "2099-12-31"],
    ["2000-02-29T12:00", "2000-02-29"],
  ])("reads the date %s as %s", async (written, date) => {
    const res = await post([hobsonsContact(refs, { DateOfBirth: written })]);
    expect(res.statusCode).toBe(200);
    expect((await get(`/api/contacts/${res.json()[0]}`)).json().DateOfBirth).toBe(`${date}T00:00:00`);
  });

  it.each([
    { title: "a JSON object", body: { contacts: [] }, message: /it is a JSON object/ },
    { title: "a string", body: '"hello"', message: /it is a JSON string/ },
    { title: "null", body: "null", message: /it is null/ },
    { title: "an empty array", body: [], message: /empty/ },
    { title: "a non-object element", body: "[1]", message: /must be a JSON object/, key: "contacts[0]" },
    {
      title: "malformed JSON",
      body: '[{"Name": }]',
      message: /not valid JSON: unexpected '}' at position 10/,
    },
    { title: "a __proto__ key", body: '[{"__proto__": {"x": 1}}]', message: /forbidden key/ },
  ])("answers $title with a 400 ModelState on contacts", async ({ body, message, key }) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    const json = res.json();
    expect(json.Message).toBe("The request is invalid.");
    const k = key ?? "contacts";
    expect(Object.keys(json.ModelState)).toEqual([k]);
    expect(json.ModelState[k][0]).toMatch(message);
  });

  it("refuses an empty array with the exact ModelState", async () => {
    const res = await post([]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(
      invalid({ contacts: ["The collection of contacts is empty; send at least one contact."] }),
    );
  });

  it("refuses more than 100 contacts, writing nothing", async () => {
    const before = await contactCount();
    const res = await post(Array.from({ length: 101 }, () => hobsonsContact(refs)));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(
      invalid({ contacts: ["The collection has 101 contacts; at most 100 are accepted."] }),
    );
    expect(await contactCount()).toBe(before);
    const hundred = await post(Array.from({ length: 100 }, () => hobsonsContact(refs)));
    expect(hundred.statusCode).toBe(200);
    expect(await contactCount()).toBe(before + 100);
  });

  it("refuses unknown, foreign-channel and deactivated references and a taken StudentId, writing nothing", async () => {
    const retired = await addReferenceItem(t.store.db, t.tenant.id, {
      kind: "heat_status",
      name: "Lukewarm",
    });
    await updateReferenceItem(t.store.db, t.tenant.id, retired.id, { active: false });
    const existing = hobsonsContact(refs);
    expect((await post([existing])).statusCode).toBe(200);
    const before = await contactCount();
    const res = await post([
      hobsonsContact(refs),
      hobsonsContact(refs, { SalutationId: 99_999_999, CountryOfCitizenshipId: refs.heatStatus }),
      hobsonsContact(refs, { SubChannelId: refs.internalSubChannel }),
      hobsonsContact(refs, { HeatStatusId: retired.id }),
      hobsonsContact(refs, { StudentId: existing.StudentId }),
    ]);
    expect(res.statusCode).toBe(400);
    const owner = (await get(`/api/contacts?StudentId=${existing.StudentId}`)).json().Data[0].Id;
    expect(res.json()).toEqual(
      invalid({
        "contacts[1].SalutationId": [
          "The SalutationId 99999999 does not exist in this institution's reference data.",
        ],
        "contacts[1].CountryOfCitizenshipId": [
          `The CountryOfCitizenshipId ${refs.heatStatus} does not exist in this institution's reference data.`,
        ],
        "contacts[2].SubChannelId": [
          `The SubChannelId ${refs.internalSubChannel} does not belong to the channel named 'External'; only External sub-channels are accepted.`,
        ],
        "contacts[3].HeatStatusId": [
          `The HeatStatusId ${retired.id} is deactivated and cannot be used for new writes.`,
        ],
        "contacts[4].StudentId": [
          `The StudentId '${existing.StudentId}' is already used by contact ${owner}.`,
        ],
      }),
    );
    expect(await contactCount()).toBe(before);
  });

  it("writes status history with the given reasons, or the documented defaults", async () => {
    const res = await post([
      hobsonsContact(refs, { HeatStatusChangeReason: "Met at open day", ContactStatusChangeReason: "" }),
      hobsonsContact(refs),
    ]);
    const [withReason, without] = res.json() as number[];
    const history = async (id: number) =>
      (await get(`/api/v1/contacts/${id}/history`, await t.token(["contacts:read"]))).json().data;
    expect(await history(withReason)).toMatchObject([
      { kind: "heat_status", statusId: refs.heatStatus, reason: "Met at open day" },
      {
        kind: "contact_status",
        statusId: refs.contactStatus,
        reason: "Contact created through api/bulk/contacts",
      },
    ]);
    expect((await history(without)).map((h: { reason: string }) => h.reason)).toEqual([
      "Contact created through api/bulk/contacts",
      "Contact created through api/bulk/contacts",
    ]);
  });

  it("is visible through the native API with the same values, StudentId as student_institution_id", async () => {
    const input = hobsonsContact(refs, {
      MiddleName: "Brewster",
      Alias: "Amazing Grace",
      FormerName: "Murray",
    });
    const id = (await post([input])).json()[0];
    const native = await get(`/api/v1/contacts/${id}`, await t.token(["contacts:read"]));
    expect(native.json()).toMatchObject({
      id,
      identifiers: { student_institution_id: input.StudentId },
      salutationId: refs.salutation,
      givenName: "Grace",
      surname: input.Surname,
      middleName: "Brewster",
      alias: "Amazing Grace",
      formerName: "Murray",
      gender: "F",
      dateOfBirth: "1990-12-09",
      email: input.EmailAddress,
      isPermanentResident: true,
      countryOfResidenceId: refs.country,
      heatStatusId: refs.heatStatus,
      subChannelId: refs.externalSubChannel,
      contactStatusId: refs.contactStatus,
      inactive: false,
    });
  });

  describe("bodies that are no contacts never give a 5xx", () => {
    it("answers 413 in the Hobsons shape over the body limit", async () => {
      const res = await post(`[${"[".repeat(1024 * 1024)}`);
      expect(res.statusCode).toBe(413);
      expect(Object.keys(res.json())).toEqual(["Message"]);
    });

    it("answers 400 for deeply nested junk under the limit", async () => {
      const depth = 400_000;
      const res = await post(`[${"[".repeat(depth)}${"]".repeat(depth)}]`);
      expect(res.statusCode).toBe(400);
      expect(res.json().ModelState["contacts[0]"]).toBeDefined();
      const open = await post(`[${'{"a":'.repeat(100_000)}`);
      expect(open.statusCode).toBe(400);
      expect(open.json().Message).toBe("The request is invalid.");
      // Unclosed nesting deeper than the position scan's stack: V8's own words, never a RangeError.
      const deep = await post("[".repeat(500_000));
      expect(deep.statusCode).toBe(400);
      expect(JSON.stringify(deep.json())).not.toMatch(/RangeError|call stack|NaN/);
    });

    it("answers 415 for a body that is not JSON", async () => {
      const res = await post("Name=Ada", { "content-type": "text/plain" });
      expect(res.statusCode).toBe(415);
      expect(Object.keys(res.json())).toEqual(["Message"]);
    });

    it("holds for arbitrary JSON", async () => {
      const before = await contactCount();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.json(), fc.array(fc.dictionary(fc.string(), fc.jsonValue()))),
          async (body) => {
            const res = await post(typeof body === "string" ? body : JSON.stringify(body));
            expect(res.statusCode).toBeLessThan(500);
            expect(res.statusCode === 200 || res.json().Message !== undefined).toBe(true);
          },
        ),
        { numRuns: 60 },
      );
      expect(await contactCount()).toBe(before);
    });
  });

  describe("auth", () => {
    it.each([
      { title: "no token", auth: null, status: 401 },
      { title: "an unknown token", auth: "trb_1_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", status: 401 },
      { title: "garbage", auth: "not-a-token", status: 401 },
    ])("$title → $status, before the body is read", async ({ auth, status }) => {
      const res = await post("{ not even json", {}, auth);
      expect(res.statusCode).toBe(status);
      expect(res.json()).toEqual(denied);
      expect(res.headers["www-authenticate"]).toBe("Bearer");
    });

    it("an expired or revoked token → 401 in the same shape", async () => {
      const expired = await issueToken(t.store.db, {
        tenantId: t.tenant.id,
        roles: ["HobsonsApiUser"],
        expiresAt: new Date(Date.now() - 1000),
      });
      const revoked = await issueToken(t.store.db, { tenantId: t.tenant.id, roles: ["HobsonsApiUser"] });
      expect((await get("/api/salutations", revoked.token)).statusCode).toBe(200);
      await revokeToken(t.store.db, revoked.id);
      for (const auth of [expired.token, revoked.token]) {
        const res = await post([hobsonsContact(refs)], {}, auth);
        expect(res.statusCode).toBe(401);
        expect(res.json()).toEqual(denied);
      }
    });

    it("a token without the Hobsons role → 403; admin passes", async () => {
      const res = await post([hobsonsContact(refs)], {}, await t.token(["contacts:write"]));
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual(denied);
      expect((await get("/api/contacts", await t.token(["contacts:read"]))).statusCode).toBe(403);
      expect((await post([hobsonsContact(refs)], {}, await t.token(["admin"]))).statusCode).toBe(200);
    });

    it("api/token: the password grant gives a bearer token; wrong passwords are invalid_grant", async () => {
      await createUser(t.store.db, {
        tenantId: t.tenant.id,
        username: "integration@college.edu",
        passwordHash: await hashPassword("correct horse"),
        roles: ["HobsonsApiUser"],
      });
      const grant = (form: string) =>
        t.app.inject({
          method: "POST",
          url: "/api/token",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          payload: form,
        });
      const wrong = await grant("grant_type=password&username=integration%40college.edu&password=nope");
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json()).toEqual({
        error: "invalid_grant",
        error_description: "The user name or password is incorrect.",
      });
      const unknown = await grant("grant_type=password&username=nobody&password=nope");
      expect(unknown.json()).toEqual(wrong.json());
      expect((await grant("grant_type=client_credentials")).json()).toEqual({
        error: "unsupported_grant_type",
      });
      expect((await grant("username=a&password=b")).json()).toMatchObject({ error: "invalid_request" });

      const ok = await grant("grant_type=password&username=Integration%40College.edu&password=correct+horse");
      expect(ok.statusCode).toBe(200);
      expect(ok.headers["cache-control"]).toBe("no-store");
      const body = ok.json();
      expect(body).toEqual({
        access_token: expect.stringMatching(/^trb_\d+_[A-Za-z0-9_-]{43}$/),
        token_type: "bearer",
        expires_in: 86400,
        userName: "integration@college.edu",
        ".issued": expect.any(String),
        ".expires": expect.any(String),
      });
      expect(Date.parse(body[".expires"]) - Date.parse(body[".issued"])).toBe(86_400_000);
      const res = await post([hobsonsContact(refs)], {}, body.access_token);
      expect(res.statusCode).toBe(200);
      const qualified = await grant(
        `grant_type=password&username=${encodeURIComponent(`${t.tenant.name}\\integration@college.edu`)}&password=correct+horse`,
      );
      expect(qualified.statusCode).toBe(200);
    });

    it("api/token: five wrong passwords lock the account, even for the right one", async () => {
      await createUser(t.store.db, {
        tenantId: t.tenant.id,
        username: "guessed",
        passwordHash: await hashPassword("right"),
        roles: ["HobsonsApiUser"],
      });
      const grant = (password: string) =>
        t.app.inject({
          method: "POST",
          url: "/api/token",
          payload: { grant_type: "password", username: "guessed", password },
          headers: { "content-type": "application/json" },
        });
      for (let i = 0; i < 5; i++) expect((await grant("wrong")).statusCode).toBe(400);
      const locked = await grant("right");
      expect(locked.statusCode).toBe(400);
      expect(locked.json()).toEqual({
        error: "invalid_grant",
        error_description: "The account is locked after too many failed sign-ins; try again later.",
      });
    });
  });

  it("leaves the native API's shapes alone", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/v1/nothing-here" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("REQUEST_NOT_FOUND");
    const bad = await t.app.inject({
      method: "POST",
      url: "/api/v1/contacts/batch/upsert",
      headers: { authorization: `Bearer ${await t.token()}`, "content-type": "application/json" },
      payload: "[",
    });
    expect(bad.json().error.code).toBe("REQUEST_JSON_INVALID");
  });

  describe("at the server's default body limit (10 MiB)", () => {
    let wide: TestApp;
    beforeAll(async () => {
      wide = await openTestApp(engine, "hobsons_bulk_10mib");
    });
    afterAll(() => wide.close());

    const required = ["IsPermanentResident", "HeatStatusId", "SubChannelId", "ContactStatusId", "Inactive"];
    it.each([
      {
        title: "nested arrays",
        body: () => `[${"[".repeat(5 * 1024 * 1024 - 8)}${"]".repeat(5 * 1024 * 1024 - 8)}]`,
        modelState: { "contacts[0]": ["A contact must be a JSON object (ContactDto). Path '[0]'."] },
      },
      {
        // Valid JSON: one contact whose only member, unknown, nests a million objects deep.
        title: "nested objects",
        body: () => `[${'{"a":'.repeat(1024 * 1024)}1${"}".repeat(1024 * 1024)}]`,
        modelState: Object.fromEntries(
          required.map((name) => [`contacts[0].${name}`, [`The ${name} field is required.`]]),
        ),
      },
    ])("answers 10 MiB of $title with a 400 in the Hobsons shape, nothing written", async (junk) => {
      const auth = await wide.token(["HobsonsApiUser"]);
      const body = junk.body();
      expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
      expect(body.length).toBeLessThanOrEqual(10 * 1024 * 1024);
      const res = await wide.app.inject({
        method: "POST",
        url: "/api/bulk/contacts",
        headers: { authorization: `Bearer ${auth}`, "content-type": "application/json" },
        payload: body,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual(invalid(junk.modelState));
      const count = await wide.store.db
        .selectFrom("contacts")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(0);
    });
  });
});
