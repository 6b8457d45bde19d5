import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addReferenceItem, updateReferenceItem } from "../src/store/reference-items.js";
import { createTenant } from "../src/store/tenants.js";
import { pngBase64, ssContact, ssUser } from "./helpers/servicestack-fixtures.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

describe.each(testEngines)("ServiceStack upsert (JSON) on %s", (engine) => {
  let t: TestApp;
  let apiKey: string;
  let readToken: string;
  const upsert = (body: unknown, url = "/DynamicsCRM/Contact/Upsert/Multiple", headers = {}) =>
    t.app.inject({
      method: "POST",
      url,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...headers },
      payload: typeof body === "string" ? body : JSON.stringify(body),
    });
  const nativeGet = async (id: number) =>
    (
      await t.app.inject({ url: `/api/v1/contacts/${id}`, headers: { authorization: `Bearer ${readToken}` } })
    ).json();
  const countContacts = async () =>
    Number(
      (
        await t.store.db
          .selectFrom("contacts")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("tenantId", "=", t.tenant.id)
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await openTestApp(engine, "ss_upsert");
    apiKey = await t.token(["REGISUserRole"]);
    readToken = await t.token(["contacts:read"]);
  });
  afterAll(() => t.close());

  it("creates by an unknown regent_id, then updates by it; meta counts and ids in input order", async () => {
    const a = ssContact({ country: "Canada", citizenship: "gb", permanent_resident: "Yes" });
    const b = ssContact();
    const res = await upsert({ contacts: [a, b] });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const body = res.json();
    expect(body).toEqual({
      errors: [],
      meta: { created: "2", updated: "0", unchanged: "0", ids: expect.stringMatching(/^\d+,\d+$/) },
    });
    const [idA, idB] = body.meta.ids.split(",").map(Number);
    expect(idA).not.toBe(idB);
    const stored = await nativeGet(idA);
    expect(stored).toMatchObject({
      identifiers: { regent_id: String(a.regent_id) },
      givenName: "Ada",
      surname: a.last_name,
      email: a.email,
      dateOfBirth: "1990-05-01",
      isPermanentResident: true,
    });
    expect(stored.correspondenceCountryId).toEqual(expect.any(Number));
    expect(stored.countryOfCitizenshipId).toEqual(expect.any(Number));

    const again = await upsert({ contacts: [{ ...a, first_name: "Augusta" }, b] });
    expect(again.json().meta).toEqual({ created: "0", updated: "1", unchanged: "1", ids: `${idA},${idB}` });
    expect((await nativeGet(idA)).givenName).toBe("Augusta");
  });

  it("regent_id 0 or absent matches email + names + date of birth, else creates", async () => {
    const first = ssContact({ regent_id: 0, email: "Grace.Hopper@Example.org", first_name: "Grace" });
    const created = await upsert({ contacts: [first] });
    expect(created.json().meta.created).toBe("1");
    const id = Number(created.json().meta.ids);
    const { regent_id: _, ...withoutRegentId } = first;
    const same = await upsert({
      contacts: [
        { ...withoutRegentId, email: " grace.hopper@example.org ", first_name: "grace", phone_cell: "555" },
      ],
    });
    expect(same.json().meta).toMatchObject({ created: "0", updated: "1", ids: String(id) });
    expect((await nativeGet(id)).phoneMobile).toBe("555");
    const otherBirthday = await upsert({ contacts: [{ ...first, dob: "1991-05-01" }] });
    expect(otherBirthday.json().meta.created).toBe("1");
  });

  it("one person twice in a request without regent_id is one contact: the first creates it, the next updates it", async () => {
    const before = await countContacts();
    const first = ssContact({
      regent_id: 0,
      email: "gale@example.org",
      first_name: "Gale",
      last_name: "Boetticher",
    });
    const { regent_id: _, ...withoutRegentId } = first;
    const res = await upsert({
      contacts: [first, { ...withoutRegentId, email: "GALE@example.org", phone_cell: "555" }],
    });
    expect(res.json().meta).toMatchObject({ created: "1", updated: "1" });
    const [a, b] = res.json().meta.ids.split(",").map(Number);
    expect(b).toBe(a);
    expect(await countContacts()).toBe(before + 1);
    expect(await nativeGet(a)).toMatchObject({ email: "GALE@example.org", phoneMobile: "555" });
    // No date of birth on either: still the same person by email and names.
    const { dob: __, ...undated } = ssContact({
      regent_id: 0,
      email: "jesse@example.org",
      last_name: "Pinkman",
    });
    const twice = await upsert({ contacts: [undated, undated] });
    const [c, d] = twice.json().meta.ids.split(",").map(Number);
    expect(d).toBe(c);
    expect(await countContacts()).toBe(before + 2);
  });

  it("regent_id 0 matches by email + names + date of birth like an absent one", async () => {
    const first = ssContact({ regent_id: 0 });
    const id = Number((await upsert({ contacts: [first] })).json().meta.ids);
    const again = await upsert({ contacts: [{ ...first, regent_id: 0, city: "Vancouver" }] });
    expect(again.json()).toEqual({
      errors: [],
      meta: { created: "0", updated: "1", unchanged: "0", ids: String(id) },
    });
    expect(await nativeGet(id)).toMatchObject({ identifiers: {}, correspondenceTown: "Vancouver" });
  });

  it("a present but unknown regent_id creates, even when another contact has the same identity", async () => {
    const person = ssContact({ regent_id: 0 });
    const existing = Number((await upsert({ contacts: [person] })).json().meta.ids);
    const res = await upsert({ contacts: [{ ...person, regent_id: 990001 }] });
    expect(res.json().meta).toMatchObject({ created: "1", updated: "0" });
    const created = Number(res.json().meta.ids);
    expect(created).not.toBe(existing);
    expect((await nativeGet(created)).identifiers).toEqual({ regent_id: "990001" });
    expect((await nativeGet(existing)).identifiers).toEqual({});
  });

  it("all contacts of a request share one transaction: a refusal by the engine writes none of them", async () => {
    const retired = await addReferenceItem(t.store.db, t.tenant.id, {
      kind: "country",
      name: `Retiredland ${engine}`,
      code: engine === "pglite" ? "XR" : "XQ",
    });
    await updateReferenceItem(t.store.db, t.tenant.id, retired.id, { active: false });
    const before = await countContacts();
    const res = await upsert({ contacts: [ssContact(), ssContact({ country: retired.name })] });
    expect(res.statusCode).toBe(400);
    const message = `country ${retired.id} (${retired.name}) is deactivated`;
    expect(res.json()).toEqual({
      responseStatus: {
        errorCode: "Predicate",
        message,
        errors: [{ errorCode: "Predicate", fieldName: "contacts[1].country", message }],
      },
    });
    expect(await countContacts()).toBe(before);
  });

  it(".NET defaults mean not given: 0001-01-01 leaves a stored date alone, 0 is no regent_id", async () => {
    const c = ssContact({ deceased_date: "2020-02-03" });
    const id = Number((await upsert({ contacts: [c] })).json().meta.ids);
    const res = await upsert({
      contacts: [
        { ...c, dob: "0001-01-01", deceased_date: "0001-01-01T00:00:00", last_summer_class: "0001-01-01" },
      ],
    });
    expect(res.json().meta).toMatchObject({ unchanged: "1" });
    expect(await nativeGet(id)).toMatchObject({
      dateOfBirth: "1990-05-01",
      deceasedDate: "2020-02-03",
      lastSummerClass: null,
    });
  });

  it("reads dates as ServiceStack's JSON writes them and bools as strings or numbers", async () => {
    const c = ssContact({
      dob: "/Date(641520000000-0000)/",
      last_credit_class: "2024-06-30T23:30:00.0000000Z",
      no_mail: "true",
      no_phone: 1,
      prefers_email: "False",
    });
    const id = Number((await upsert({ contacts: [c] })).json().meta.ids);
    expect(await nativeGet(id)).toMatchObject({
      dateOfBirth: "1990-05-01",
      lastCreditClass: "2024-06-30",
      noMail: true,
      noPhone: true,
      prefersEmail: false,
    });
  });

  it("matches field names case-insensitively and ignores unknown fields", async () => {
    const res = await upsert({
      Contacts: [
        {
          REGENT_ID: 4242,
          First_Name: "Mixed",
          Last_Name: "Case",
          Email: "mixed@example.org",
          shoe_size: 44,
        },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(await nativeGet(Number(res.json().meta.ids))).toMatchObject({
      identifiers: { regent_id: "4242" },
      givenName: "Mixed",
    });
  });

  it("stores image_base64 and the native API serves it with its sniffed type", async () => {
    const res = await upsert({
      contacts: [ssContact({ image_base64: `data:image/png;base64,${pngBase64}` })],
    });
    expect(res.statusCode).toBe(200);
    const id = Number(res.json().meta.ids);
    const photo = await t.app.inject({
      url: `/api/v1/contacts/${id}/photo`,
      headers: { authorization: `Bearer ${readToken}` },
    });
    expect(photo.statusCode).toBe(200);
    expect(photo.headers["content-type"]).toBe("image/png");
    expect(photo.rawPayload.equals(Buffer.from(pngBase64, "base64"))).toBe(true);
    const none = await t.app.inject({
      url: `/api/v1/contacts/${Number((await upsert({ contacts: [ssContact()] })).json().meta.ids)}/photo`,
      headers: { authorization: `Bearer ${readToken}` },
    });
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe("CONTACT_NOT_FOUND");
  });

  it.each([
    { type: "image/jpeg", bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]) },
    { type: "image/gif", bytes: Buffer.from("GIF89a\u0001\u0000\u0001\u0000") },
    {
      type: "image/webp",
      bytes: Buffer.concat([Buffer.from("RIFF"), Buffer.from([4, 0, 0, 0]), Buffer.from("WEBPVP8 ")]),
    },
  ])("serves an $type image_base64 with its content type", async ({ type, bytes }) => {
    const res = await upsert({ contacts: [ssContact({ image_base64: bytes.toString("base64") })] });
    expect(res.statusCode).toBe(200);
    const photo = await t.app.inject({
      url: `/api/v1/contacts/${Number(res.json().meta.ids)}/photo`,
      headers: { authorization: `Bearer ${readToken}` },
    });
    expect(photo.headers["content-type"]).toBe(type);
    expect(photo.rawPayload.equals(bytes)).toBe(true);
  });

  it("owning_username must name a user of the tenant", async () => {
    const user = await ssUser(t, { username: "Owner.One" });
    const ok = await upsert({ contacts: [ssContact({ owning_username: "owner.one" })] });
    expect(ok.statusCode).toBe(200);
    expect((await nativeGet(Number(ok.json().meta.ids))).owner).toBe(user.username);
    const bad = await upsert({ contacts: [ssContact({ owning_username: "nobody" })] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().responseStatus.errors).toEqual([
      {
        errorCode: "Predicate",
        fieldName: "contacts[0].owning_username",
        message: "owning_username 'nobody' is not a user of this tenant",
      },
    ]);
    // A user of another tenant is no user of this one.
    const elsewhere = await createTenant(t.store.db, `Elsewhere ${engine}`);
    const stranger = await ssUser(t, { username: "stranger.owner", tenantId: elsewhere.id });
    const foreign = await upsert({ contacts: [ssContact({ owning_username: stranger.username })] });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().responseStatus).toMatchObject({
      errorCode: "Predicate",
      message: "owning_username 'stranger.owner' is not a user of this tenant",
    });
  });

  const tooBig = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(5 * 1024 * 1024)]);
  const badInputs: Array<{ title: string; contacts: unknown[]; errors: unknown[] }> = [
    {
      title: "spouse_is_main_contact: Maybe",
      contacts: [ssContact(), ssContact({ spouse_is_main_contact: "Maybe" })],
      errors: [
        {
          errorCode: "InvalidFormat",
          fieldName: "contacts[1].spouse_is_main_contact",
          message: "'Maybe' is not a valid Boolean for spouse_is_main_contact",
        },
      ],
    },
    {
      title: "dob: 1990-13-45",
      contacts: [ssContact({ dob: "1990-13-45" })],
      errors: [
        {
          errorCode: "InvalidFormat",
          fieldName: "contacts[0].dob",
          message: "'1990-13-45' is not a valid DateTime for dob",
        },
      ],
    },
    {
      title: "a name over its length and a bad email",
      contacts: [ssContact(), ssContact(), ssContact({ first_name: "x".repeat(121), email: "nope" })],
      errors: [
        {
          errorCode: "Length",
          fieldName: "contacts[2].first_name",
          message: "first_name is 121 characters long; at most 120 are allowed",
        },
        {
          errorCode: "Email",
          fieldName: "contacts[2].email",
          message: "email 'nope' is not an email address",
        },
      ],
    },
    {
      title: "a negative regent_id and a non-integer one",
      contacts: [ssContact({ regent_id: -4 }), ssContact({ regent_id: "12a" })],
      errors: [
        {
          errorCode: "GreaterThan",
          fieldName: "contacts[0].regent_id",
          message: "regent_id must be greater than 0",
        },
        {
          errorCode: "InvalidFormat",
          fieldName: "contacts[1].regent_id",
          message: "'12a' is not a valid int for regent_id",
        },
      ],
    },
    {
      title: "an unknown country and a text where a flag belongs",
      contacts: [ssContact({ country: "Atlantis", permanent_resident: "sometimes" })],
      errors: [
        {
          errorCode: "Predicate",
          fieldName: "contacts[0].country",
          message: "country 'Atlantis' is not a country name or ISO code",
        },
        {
          errorCode: "InvalidFormat",
          fieldName: "contacts[0].permanent_resident",
          message: "permanent_resident 'sometimes' is not yes/no, true/false, y/n or 1/0",
        },
      ],
    },
    {
      title: "image_base64 that is not an image, and one over 5 MiB",
      contacts: [
        ssContact({ image_base64: Buffer.from("GIF87 but not really").toString("base64") }),
        ssContact({ image_base64: tooBig.toString("base64") }),
      ],
      errors: [
        {
          errorCode: "InvalidFormat",
          fieldName: "contacts[0].image_base64",
          message: "image_base64 is not a PNG, JPEG, GIF or WebP image",
        },
        {
          errorCode: "Length",
          fieldName: "contacts[1].image_base64",
          message: `image_base64 holds ${tooBig.length} bytes; at most 5242880 (5 MiB) are allowed`,
        },
      ],
    },
    {
      title: "a list where a string belongs",
      contacts: [ssContact({ city: ["Vancouver"] })],
      errors: [
        {
          errorCode: "InvalidFormat",
          fieldName: "contacts[0].city",
          message: "city must be a string, not a list or object",
        },
      ],
    },
    {
      title: "a contact that is not an object",
      contacts: [ssContact(), "Ada"],
      errors: [
        {
          errorCode: "SerializationException",
          fieldName: "contacts[1]",
          message: "contacts[1] must be a CRMContactCreateRequest object",
        },
      ],
    },
  ];

  it.each(badInputs)(
    "$title → 400 ValidationException naming each field, nothing written",
    async ({ contacts, errors }) => {
      const before = await countContacts();
      const res = await upsert({ contacts });
      expect(res.statusCode).toBe(400);
      const first = errors[0] as { errorCode: string; message: string };
      expect(res.json()).toEqual({
        responseStatus: { errorCode: first.errorCode, message: first.message, errors },
      });
      expect(await countContacts()).toBe(before);
    },
  );

  it.each([
    {
      title: "a body that is not JSON",
      body: '{"contacts": [{"first_name": "Ada",}]}',
      errorCode: "SerializationException",
      message: "The body is not valid JSON: unexpected '}' at position 35 (line 1, column 36)",
      errors: [],
    },
    {
      title: "a string where the list belongs",
      body: { contacts: "Ada Lovelace" },
      errorCode: "SerializationException",
      message: "contacts must be a list of CRMContactCreateRequest",
      errors: [
        {
          errorCode: "SerializationException",
          fieldName: "contacts",
          message: "contacts must be a list of CRMContactCreateRequest",
        },
      ],
    },
    {
      title: "a list where the request object belongs",
      body: [ssContact()],
      errorCode: "SerializationException",
      message: "The body is not a CRMContactUpsertMultipleRequest object",
      errors: [],
    },
  ])("$title → 400 SerializationException", async ({ body, errorCode, message, errors }) => {
    const res = await upsert(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ responseStatus: { errorCode, message, errors } });
  });

  it("50,000 contacts in one request → 400 naming contacts, nothing written", async () => {
    const before = await countContacts();
    const contacts = Array.from({ length: 50_000 }, (_, i) => ({ regent_id: i + 1, first_name: "A" }));
    const res = await upsert({ contacts });
    expect(res.statusCode).toBe(400);
    const message = "contacts has 50000 items; at most 1000 are allowed per request";
    expect(res.json()).toEqual({
      responseStatus: {
        errorCode: "Length",
        message,
        errors: [{ errorCode: "Length", fieldName: "contacts", message }],
      },
    });
    expect(await countContacts()).toBe(before);
  });

  it("a body in a format ServiceStack does not read → 415 NotSupportedException", async () => {
    const res = await upsert("<contacts/>", undefined, { "content-type": "application/xml" });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      responseStatus: {
        errorCode: "NotSupportedException",
        message: "Unsupported Media Type",
        errors: [],
      },
    });
  });

  it("an empty request is answered with zero counts", async () => {
    const res = await upsert({});
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ errors: [], meta: { created: "0", updated: "0", unchanged: "0", ids: "" } });
  });

  it.each([
    "/DynamicsCRM/Contact/Upsert/Multiple",
    "/dynamicscrm/contact/upsert/multiple",
    "/DynamicsCRM/Contact/Upsert/Multiple.json",
    "/json/reply/CRMContactUpsertMultipleRequest",
    "/api/CRMContactUpsertMultipleRequest",
    "/api/crmcontactupsertmultiplerequest.json",
  ])("POST %s upserts and answers JSON", async (url) => {
    const res = await upsert({ contacts: [ssContact()] }, url, { accept: "*/*" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.json().meta.created).toBe("1");
  });

  it("an unknown operation at the predefined routes is a ServiceStack 404", async () => {
    const res = await upsert({}, "/json/reply/NoSuchRequest");
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      responseStatus: {
        errorCode: "NotFound",
        message: "The operation 'NoSuchRequest' does not exist for this service",
        errors: [],
      },
    });
  });

  it("keeps its ResponseStatus errors to its own routes", async () => {
    const native = await t.app.inject({
      method: "POST",
      url: "/api/v1/contacts/batch/upsert",
      payload: "{",
      headers: { "content-type": "application/json", authorization: `Bearer ${readToken}` },
    });
    expect(native.json()).toHaveProperty("error");
    const missing = await t.app.inject({ method: "GET", url: "/api/v1/nothing-here" });
    expect(missing.json()).toHaveProperty("error.code", "REQUEST_NOT_FOUND");
  });
});

describe.each(testEngines)("ServiceStack debug mode on %s", (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp(engine, "ss_debug", { logLevel: "debug" });
  });
  afterAll(() => t.close());

  it("adds a stackTrace to error answers only when the server runs with LOG_LEVEL debug", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/DynamicsCRM/Contact/Upsert/Multiple",
      headers: { "content-type": "application/json" },
      payload: "{}",
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().responseStatus.stackTrace).toEqual(expect.stringContaining("TributaryError"));
  });
});
