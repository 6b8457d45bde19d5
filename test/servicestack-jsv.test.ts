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
    const body = parseJsv(res.body) as {
      responseStatus: { errorCode: string; errors: Array<Record<string, string>> };
    };
    expect(body.responseStatus.errors.map((e) => [e.errorCode, e.fieldName])).toEqual([
      ["Predicate", "contacts[0].country"],
      ["Predicate", "contacts[0].citizenship"],
      ["Predicate", "contacts[0].citizenship_other"],
      ["InvalidFormat", "contacts[0].permanent_resident"],
      ["Email", "contacts[0].email"],
      ["Email", "contacts[0].email_secondary"],
      ["InvalidFormat", "contacts[0].image_base64"],
      ["Predicate", "contacts[0].owning_username"],
    ]);
    expect(body.responseStatus).toMatchObject({
      errorCode: "Predicate",
      message: "country 'String' is not a country name or ISO code",
    });
    expect(body).not.toHaveProperty("responseStatus.stackTrace");
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

  const bad = [
    {
      title: "truncated JSV",
      body: "{contacts:[{first_name:Ada,last_na",
      errorCode: "SerializationException",
    },
    {
      title: "an unclosed quote",
      body: '{contacts:[{first_name:"Ada}]}',
      errorCode: "SerializationException",
    },
    {
      title: "a string where the list belongs",
      body: "{contacts:Ada Lovelace}",
      errorCode: "SerializationException",
      fieldName: "contacts",
    },
    {
      title: "dob: 1990-13-45",
      body: "{contacts:[{first_name:A,dob:1990-13-45}]}",
      errorCode: "InvalidFormat",
      fieldName: "contacts[0].dob",
    },
    {
      title: "spouse_is_main_contact: Maybe",
      body: "{contacts:[{first_name:A},{spouse_is_main_contact:Maybe}]}",
      errorCode: "InvalidFormat",
      fieldName: "contacts[1].spouse_is_main_contact",
    },
    {
      title: "a form whose contacts is not JSV",
      form: { contacts: '[{first_name:"Ada}]' },
      errorCode: "SerializationException",
      fieldName: "contacts",
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
    const status = (
      parseJsv(res.body) as {
        responseStatus: { errorCode: string; message: string; errors?: Array<Record<string, string>> };
      }
    ).responseStatus;
    expect(status.errorCode).toBe(c.errorCode);
    if (c.fieldName) expect(status.errors?.[0]?.fieldName).toBe(c.fieldName);
    else expect(status.message).toMatch(/position \d+/);
    expect(await countContacts()).toBe(before);
  });

  it("50,000 contacts of JSV → 400 Length on contacts, nothing written", async () => {
    const before = await countContacts();
    const body = `{contacts:[${Array.from({ length: 50_000 }, (_, i) => `{regent_id:${i + 1},first_name:A}`).join(",")}]}`;
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    const status = (
      parseJsv(res.body) as { responseStatus: { errorCode: string; errors: Array<Record<string, string>> } }
    ).responseStatus;
    expect(status).toMatchObject({
      errorCode: "Length",
      errors: [{ errorCode: "Length", fieldName: "contacts" }],
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
