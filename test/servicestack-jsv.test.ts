import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contactCreateRequestFields } from "../src/dialects/servicestack/wire-schemas.js";
import { parseJsv } from "../src/formats/jsv/index.js";
import {
  pageSampleJsv,
  pngBase64,
  realisticSampleJsv,
  ssContact,
  ssUser,
} from "./helpers/servicestack-fixtures.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

const placeholders = { "int?": "0", string: "String", bool: "False", "DateTime?": "0001-01-01" } as const;

describe("the page's sample JSV", () => {
  it("parses to exactly the structure the page shows", () => {
    const contact = Object.fromEntries(
      Object.entries(contactCreateRequestFields).map(([name, type]) => [name, placeholders[type]]),
    );
    expect(parseJsv(pageSampleJsv)).toEqual({ contacts: [contact] });
  });
});

/** The realistic values a Regent client would send in place of the page's placeholders. */
function realisticValues(regentId: number, owner: string): Record<string, string> {
  return {
    regent_id: String(regentId),
    first_name: "Ada",
    last_name: `Lovelace-${regentId}`,
    middle_name: "Augusta",
    preferred_name: "Ada",
    prefix: "Hon.",
    addressee: "The Hon. Ada Lovelace",
    primary_salutation: "Dear Ada",
    former_name: "Byron",
    spouse_name: "William King",
    spouse_is_main_contact: "True",
    addr1: "12 St James's Square",
    addr2: "Flat 2",
    city: "London",
    state: "Greater London",
    country: "United Kingdom",
    code: "SW1Y 4JH",
    dob: "1815-12-10",
    deceased_date: "1852-11-27",
    citizenship: "GB",
    citizenship_other: "ca",
    permanent_resident: "No",
    denomination: "Anglican",
    connection_to_regent: "Alumna",
    student_segment: "Graduate",
    reason_added: "Open day",
    gender: "F",
    marital_status: "Married",
    financial_aid_received: "False",
    is_applicant: "True",
    solicitation_method: "Email",
    solicitation_exceptions: "No calls",
    campaign_monitor_optin: "True",
    campaign_monitor_suppressed: "False",
    campaign_monitor_lists: '"Alumni, Friends ""of"" Regent"',
    email: `ada.${regentId}@example.org`,
    email_secondary: "ada.lovelace@example.com",
    phone_home: "+44 20 7946 0000",
    phone_bus: "+44 20 7946 0001",
    phone_cell: "+44 7700 900000",
    no_mail: "False",
    no_email: "False",
    no_bulk_email: "True",
    no_phone: "False",
    no_marketing_materials: "False",
    prefers_email: "True",
    prefers_phone: "False",
    last_credit_class: "2024-04-30",
    last_audit_class: "0001-01-01",
    last_oncampus_class: "2023-09-15T00:00:00Z",
    last_distance_education_class: "0001-01-01",
    last_evening_weekend_class: "2022-03-01",
    last_summer_class: "2021-07-05",
    last_marketplace_class: "0001-01-01",
    last_anglican_studies_class: "2020-01-20",
    image_base64: pngBase64,
    owning_username: owner,
  };
}

describe.each(testEngines)("ServiceStack upsert (JSV) on %s", (engine) => {
  let t: TestApp;
  let apiKey: string;
  let readToken: string;
  let owner: string;
  const jsv = { "content-type": "text/jsv", accept: "text/jsv" };
  const post = (
    payload: string,
    headers: Record<string, string> = jsv,
    url = "/DynamicsCRM/Contact/Upsert/Multiple",
  ) =>
    t.app.inject({
      method: "POST",
      url,
      headers: { authorization: `Bearer ${apiKey}`, ...headers },
      payload,
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
    t = await openTestApp(engine, "ss_jsv");
    apiKey = await t.token(["REGISUserRole"]);
    readToken = await t.token(["contacts:read"]);
    owner = (await ssUser(t, { username: "regis.owner" })).username;
  });
  afterAll(() => t.close());

  it("the sample posted verbatim → 400 naming exactly the fields whose placeholders are invalid", async () => {
    const before = await countContacts();
    const res = await post(pageSampleJsv);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toBe("text/jsv; charset=utf-8");
    const unknownCountry = (field: string) => ({
      errorCode: "Predicate",
      fieldName: `contacts[0].${field}`,
      message: `${field} 'String' is not a country name or ISO code`,
    });
    const errors = [
      unknownCountry("country"),
      unknownCountry("citizenship"),
      unknownCountry("citizenship_other"),
      {
        errorCode: "InvalidFormat",
        fieldName: "contacts[0].permanent_resident",
        message: "permanent_resident 'String' is not yes/no, true/false, y/n or 1/0",
      },
      {
        errorCode: "Email",
        fieldName: "contacts[0].email",
        message: "email 'String' is not an email address",
      },
      {
        errorCode: "Email",
        fieldName: "contacts[0].email_secondary",
        message: "email_secondary 'String' is not an email address",
      },
      {
        errorCode: "InvalidFormat",
        fieldName: "contacts[0].image_base64",
        message: "image_base64 is not a PNG, JPEG, GIF or WebP image",
      },
      {
        errorCode: "Predicate",
        fieldName: "contacts[0].owning_username",
        message: "owning_username 'String' is not a user of this tenant",
      },
    ];
    // Exactly these: the other placeholders (`String` names, `False` flags, `0`, `0001-01-01`) are valid.
    expect(parseJsv(res.body)).toEqual({
      responseStatus: { errorCode: errors[0].errorCode, message: errors[0].message, errors },
    });
    expect(await countContacts()).toBe(before);
  });

  it("the sample with realistic values is stored, and the same contact sent as JSON is stored the same", async () => {
    const res = await post(realisticSampleJsv(realisticValues(81001, owner)));
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/jsv; charset=utf-8");
    const answer = parseJsv(res.body) as { meta: Record<string, string> };
    expect(answer.meta).toMatchObject({ created: "1", updated: "0" });
    const stored = await nativeGet(Number(answer.meta.ids));
    expect(stored).toMatchObject({
      identifiers: { regent_id: "81001" },
      givenName: "Ada",
      surname: "Lovelace-81001",
      addressee: "The Hon. Ada Lovelace",
      correspondenceLine1: "12 St James's Square",
      correspondencePostcode: "SW1Y 4JH",
      dateOfBirth: "1815-12-10",
      deceasedDate: "1852-11-27",
      spouseIsMainContact: true,
      isPermanentResident: false,
      emailMarketingLists: 'Alumni, Friends "of" Regent',
      phoneWork: "+44 20 7946 0001",
      noBulkEmail: true,
      lastAuditClass: null,
      lastOnCampusClass: "2023-09-15",
      photoBase64: pngBase64,
      owner,
    });

    const asJson = Object.fromEntries(
      Object.entries(realisticValues(81002, owner)).map(([k, v]) => [
        k,
        contactCreateRequestFields[k as keyof typeof contactCreateRequestFields] === "bool"
          ? v === "True"
          : k === "regent_id"
            ? Number(v)
            : k === "campaign_monitor_lists"
              ? 'Alumni, Friends "of" Regent'
              : v,
      ]),
    );
    const viaJson = await post(
      JSON.stringify({
        contacts: [{ ...asJson, last_name: "Lovelace-81001", email: "ada.81001@example.org" }],
      }),
      {
        "content-type": "application/json",
      },
    );
    expect(viaJson.statusCode).toBe(200);
    const twin = await nativeGet(Number(viaJson.json().meta.ids));
    const comparable = ({ id, identifiers, createdAt, modifiedAt, ...rest }: Record<string, unknown>) => rest;
    expect(comparable(twin)).toEqual(comparable(stored));
  });

  it.each([
    {
      title: "a .jsv suffix",
      url: "/DynamicsCRM/Contact/Upsert/Multiple.jsv",
      headers: { "content-type": "application/json" },
    },
    {
      title: "the /jsv/reply route",
      url: "/jsv/reply/CRMContactUpsertMultipleRequest",
      headers: { "content-type": "application/json" },
    },
    {
      title: "?format=jsv",
      url: "/api/CRMContactUpsertMultipleRequest?format=jsv",
      headers: { "content-type": "application/json", accept: "application/json" },
    },
    {
      title: "the /api route's .jsv suffix",
      url: "/api/CRMContactUpsertMultipleRequest.jsv",
      headers: { "content-type": "application/json", accept: "application/json" },
    },
    {
      title: "Accept: application/jsv",
      url: "/DynamicsCRM/Contact/Upsert/Multiple",
      headers: { "content-type": "application/json", accept: "application/jsv" },
    },
  ])("answers JSV for $title", async ({ url, headers }) => {
    const res = await post(
      JSON.stringify({ contacts: [ssContact()] }),
      headers as Record<string, string>,
      url,
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^(text|application)\/jsv; charset=utf-8$/);
    expect(parseJsv(res.body)).toMatchObject({ meta: { created: "1" } });
  });

  it("a .json suffix answers JSON to a JSV body", async () => {
    const res = await post(
      "{contacts:[{first_name:Jo,last_name:Json,email:jo@example.org}]}",
      jsv,
      "/DynamicsCRM/Contact/Upsert/Multiple.json",
    );
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.json().meta.created).toBe("1");
  });

  it("takes a text/jsv body with a charset, and reads an empty regent_id as not given", async () => {
    const res = await post(
      "{contacts:[{regent_id:,first_name:Empty,last_name:Id,email:empty.id@example.org}]}",
      {
        "content-type": "text/jsv; charset=utf-8",
      },
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    const stored = await nativeGet(Number(res.json().meta.ids));
    expect(stored).toMatchObject({ identifiers: {}, givenName: "Empty", surname: "Id" });
  });

  it("answers the success object in JSV as the writer writes it", async () => {
    const res = await post("{contacts:[{first_name:Exact,last_name:Answer,email:exact.answer@example.org}]}");
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^\{errors:\[\],meta:\{created:1,updated:0,unchanged:0,ids:\d+\}\}$/);
  });

  it("answers 401 and 403 as ResponseStatus in JSV", async () => {
    const anonymous = await t.app.inject({
      method: "POST",
      url: "/DynamicsCRM/Contact/Upsert/Multiple",
      headers: jsv,
      payload: "{contacts:[]}",
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers["content-type"]).toBe("text/jsv; charset=utf-8");
    expect(anonymous.body).toBe(
      "{responseStatus:{errorCode:Unauthorized,message:Not Authenticated,errors:[]}}",
    );
    const reader = await t.app.inject({
      method: "POST",
      url: "/DynamicsCRM/Contact/Upsert/Multiple.jsv",
      headers: { "content-type": "text/jsv", authorization: `Bearer ${readToken}` },
      payload: "{contacts:[]}",
    });
    expect(reader.statusCode).toBe(403);
    expect(reader.body).toBe("{responseStatus:{errorCode:Forbidden,message:Invalid Role,errors:[]}}");
  });

  it("takes application/jsv bodies and form bodies whose contacts field holds JSV", async () => {
    const a = await post(
      "{contacts:[{regent_id:81101,first_name:Form,last_name:Jsv,email:fj@example.org}]}",
      {
        "content-type": "application/jsv",
      },
    );
    expect(a.statusCode).toBe(200);
    const form = await post(
      new URLSearchParams({
        contacts:
          '[{regent_id:81102,first_name:Form,last_name:"Post, Jr",email:fp@example.org,no_mail:true}]',
      }).toString(),
      { "content-type": "application/x-www-form-urlencoded" },
    );
    expect(form.statusCode).toBe(200);
    expect(await nativeGet(Number(form.json().meta.ids))).toMatchObject({
      surname: "Post, Jr",
      noMail: true,
    });
  });

  const serialization = (message: string, fieldName?: string) => ({
    errorCode: "SerializationException",
    message,
    errors: fieldName ? [{ errorCode: "SerializationException", fieldName, message }] : [],
  });
  const invalidFormat = (fieldName: string, message: string) => ({
    errorCode: "InvalidFormat",
    message,
    errors: [{ errorCode: "InvalidFormat", fieldName, message }],
  });
  const bad: Array<{
    title: string;
    body?: string;
    form?: Record<string, string>;
    responseStatus: unknown;
  }> = [
    {
      title: "truncated JSV",
      body: "{contacts:[{first_name:Ada,last_na",
      responseStatus: serialization("The body is not valid JSV: unclosed '{' at position 11"),
    },
    {
      title: "an unclosed quote",
      body: '{contacts:[{first_name:"Ada}]}',
      responseStatus: serialization("The body is not valid JSV: unclosed quote at position 23"),
    },
    {
      title: "a string where the list belongs",
      body: "{contacts:Ada Lovelace}",
      responseStatus: serialization("contacts must be a list of CRMContactCreateRequest", "contacts"),
    },
    {
      title: "dob: 1990-13-45",
      body: "{contacts:[{first_name:A,dob:1990-13-45}]}",
      responseStatus: invalidFormat("contacts[0].dob", "'1990-13-45' is not a valid DateTime for dob"),
    },
    {
      title: "a dob whose time part is junk",
      body: "{contacts:[{first_name:A,dob:1990-01-01Tjunk}]}",
      responseStatus: invalidFormat("contacts[0].dob", "'1990-01-01Tjunk' is not a valid DateTime for dob"),
    },
    {
      title: "spouse_is_main_contact: Maybe",
      body: "{contacts:[{first_name:A},{spouse_is_main_contact:Maybe}]}",
      responseStatus: invalidFormat(
        "contacts[1].spouse_is_main_contact",
        "'Maybe' is not a valid Boolean for spouse_is_main_contact",
      ),
    },
    {
      title: "a form whose contacts is not JSV",
      form: { contacts: '[{first_name:"Ada}]' },
      responseStatus: serialization("contacts is not JSV: unclosed quote at position 13", "contacts"),
    },
  ];

  it.each(bad)("$title → 400 ResponseStatus in JSV naming the place, nothing written", async (c) => {
    const before = await countContacts();
    const res = c.form
      ? await post(new URLSearchParams(c.form).toString(), {
          "content-type": "application/x-www-form-urlencoded",
          accept: "text/jsv",
        })
      : await post(c.body as string);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toBe("text/jsv; charset=utf-8");
    expect(parseJsv(res.body)).toEqual({ responseStatus: c.responseStatus });
    expect(await countContacts()).toBe(before);
  });

  it("50,000 realistic contacts of JSV (past the server's 10 MiB default) → 400 Length on contacts, nothing written", async () => {
    const before = await countContacts();
    const contact = (i: number) =>
      `{regent_id:${i + 1},first_name:Alexandra,last_name:Montgomery-${i},email:alexandra.montgomery.${i}@example.edu,dob:1990-05-09,addr1:"12 Long Street, Unit 4",city:Riverside,state:NSW,code:2000,country:Australia,phone_cell:+61 400 000 ${i % 1000}}`;
    const body = `{contacts:[${Array.from({ length: 50_000 }, (_, i) => contact(i)).join(",")}]}`;
    expect(body.length).toBeGreaterThan(10 * 1024 * 1024);
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toBe("text/jsv; charset=utf-8");
    const message = "contacts has 50000 items; at most 1000 are allowed per request";
    expect(parseJsv(res.body)).toEqual({
      responseStatus: {
        errorCode: "Length",
        message,
        errors: [{ errorCode: "Length", fieldName: "contacts", message }],
      },
    });
    expect(await countContacts()).toBe(before);
  });

  it("signs in with a JSV Authenticate and answers it in JSV", async () => {
    const user = await ssUser(t);
    const res = await t.app.inject({
      method: "POST",
      url: "/auth/credentials.jsv",
      headers: { "content-type": "text/jsv" },
      payload: `{provider:credentials,userName:${user.username},password:"${user.password}",rememberMe:True}`,
    });
    expect(res.statusCode).toBe(200);
    expect(parseJsv(res.body)).toMatchObject({ userName: user.username, roles: ["REGISUserRole"] });
    expect(String(res.headers["set-cookie"])).toMatch(/ss-opt=perm/);
  });
});

describe.each(testEngines)("ServiceStack body over the server's limit on %s", (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp(engine, "ss_limit", { bodyLimit: 4096, serviceStackBodyLimit: 4096 });
  });
  afterAll(() => t.close());

  it("is a 413 ResponseStatus in the request's format, never a 5xx, and nothing is written", async () => {
    const body = `{contacts:[${Array.from({ length: 500 }, (_, i) => `{regent_id:${i + 1},first_name:A}`).join(",")}]}`;
    const res = await t.app.inject({
      method: "POST",
      url: "/DynamicsCRM/Contact/Upsert/Multiple",
      headers: {
        "content-type": "text/jsv",
        accept: "text/jsv",
        authorization: `Bearer ${await t.token(["REGISUserRole"])}`,
      },
      payload: body,
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers["content-type"]).toBe("text/jsv; charset=utf-8");
    expect(parseJsv(res.body)).toEqual({
      responseStatus: {
        errorCode: "RequestEntityTooLarge",
        message: "Request body is too large",
        errors: [],
      },
    });
    const { n } = await t.store.db
      .selectFrom("contacts")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(0);
  });
});
