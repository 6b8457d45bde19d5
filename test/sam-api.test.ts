import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/auth/password-hash.js";
import { hashToken } from "../src/auth/token-secret.js";
import { readConfig } from "../src/config.js";
import { samDialect } from "../src/dialects/sam/index.js";
import { buildApp } from "../src/http/app.js";
import { registerJsonBodyParser } from "../src/http/json-body-parser.js";
import { validatorCompiler } from "../src/http/validator-compiler.js";
import type { Store } from "../src/store/database.js";
import { createTenant } from "../src/store/tenants.js";
import { createUser } from "../src/store/users.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

// The page's request body, verbatim (page 003, upsertContacts).
const pageSample = `[
  {
    "contactId": null,
    "countryCode": "AU",
    "otherCountryCode": null,
    "externalId": "CRMID-123",
    "contactType": null,
    "title": null,
    "firstname": "TestContact",
    "lastname": "McMullen",
    "mobile": null,
    "phone": null,
    "otherPhone": null,
    "department": null,
    "contactProfession": "Doctor",
    "contactSpecialty": "Oncologist",
    "contactCategory": "Sat Nov 15 13:34:00 EST 2014",
    "email1": "aaron@interact.technology",
    "email2": null,
    "company": null,
    "workAddress1": "100 Test Street",
    "workAddress2": "North Sydney",
    "workAddress3": null,
    "city": "Sydney",
    "state": null,
    "postCode": "2061",
    "ownedBy": null,
    "notes": null,
    "facebookId": null,
    "dateOfBirth": null,
    "webPage": null,
    "otherAddress1": null,
    "otherAddress2": null,
    "otherAddress3": null,
    "otherCity": null,
    "otherState": null,
    "otherPostcode": null,
    "faxNumber": null,
    "twitterId": null,
    "contactCreated": null,
    "contactCreatedBy": null,
    "contactModified": 1416018840030,
    "contactModifiedBy": null
  },
  {
    "contactId": null,
    "countryCode": "AU",
    "otherCountryCode": null,
    "externalId": "CRMID-456",
    "contactType": null,
    "title": null,
    "firstname": "LeoTestContact",
    "lastname": "Chen",
    "mobile": null,
    "phone": null,
    "otherPhone": null,
    "department": null,
    "contactProfession": "Doctor",
    "contactSpecialty": "Cardiologist",
    "contactCategory": "Sat Nov 15 13:34:00 EST 2014",
    "email1": "leo@interact.technology",
    "email2": null,
    "company": null,
    "workAddress1": "100 Test Street",
    "workAddress2": "North Sydney",
    "workAddress3": null,
    "city": "Sydney",
    "state": null,
    "postCode": "2061",
    "ownedBy": null,
    "notes": null,
    "facebookId": null,
    "dateOfBirth": null,
    "webPage": null,
    "otherAddress1": null,
    "otherAddress2": null,
    "otherAddress3": null,
    "otherCity": null,
    "otherState": null,
    "otherPostcode": null,
    "faxNumber": null,
    "twitterId": null,
    "contactCreated": null,
    "contactCreatedBy": null,
    "contactModified": 1416018840030,
    "contactModifiedBy": null
  }
]`;

const form = "application/x-www-form-urlencoded";
const password = "correct horse battery";
let userCounter = 0;

/** A user of a tenant who may log in to SAM, with a unique email unless one is given. */
async function samUser(
  store: Store,
  tenantId: number,
  options: { roles?: string[]; email?: string; password?: string } = {},
) {
  userCounter += 1;
  const email = options.email ?? `sam.${userCounter}@clinic.example`;
  await createUser(store.db, {
    tenantId,
    username: `sam-user-${userCounter}`,
    email,
    passwordHash: await hashPassword(options.password ?? password),
    roles: options.roles ?? ["SamApiUser"],
  });
  return email;
}

/** A server with only the SAM dialect, on an existing store, reading a clock the test moves. */
async function samAppWithClock(store: Store, now: () => Date, env: NodeJS.ProcessEnv = {}) {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  registerJsonBodyParser(app);
  await app.register(samDialect, { prefix: "/rest", store, config: readConfig(env), now });
  await app.ready();
  return app;
}

type Injector = { inject: TestApp["app"]["inject"] };

const loginForm = (app: Injector, email: string, pw = password) =>
  app.inject({
    method: "POST",
    url: "/rest/user/login",
    headers: { "content-type": form },
    payload: new URLSearchParams({ uEmail: email, uPassword: pw, appCode: "NI", version: "1" }).toString(),
  });

const upsert = (app: Injector, token: string | undefined, body: unknown) =>
  app.inject({
    method: "POST",
    url: "/rest/company/contact/upsert",
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { "x-nextinteract-authtoken": token }),
    },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });

const samError = (exception: string, errorCode: number, message: string, errors?: unknown[]) => ({
  exception,
  errorCode,
  message,
  ...(errors && { errors }),
});

const invalidToken = samError(
  "WSInvalidAuthTokenException",
  1006,
  "Invalid or expired authentication token.",
);

describe.each(testEngines)("SAM dialect on %s", (engine) => {
  let t: TestApp;
  let token: string;
  let nativeToken: string;

  const login = async (email: string, pw = password) => {
    const res = await loginForm(t.app, email, pw);
    expect(res.statusCode).toBe(200);
    return res.headers["x-nextinteract-authtoken"] as string;
  };
  const findByExternalId = async (externalId: string) => {
    const res = await t.app.inject({
      url: `/api/v1/contacts?q=${encodeURIComponent(externalId)}`,
      headers: { authorization: `Bearer ${nativeToken}` },
    });
    const data = res.json().data as Array<Record<string, unknown>>;
    return data.filter((c) => (c.identifiers as Record<string, string>).external_id === externalId);
  };
  const readNative = async (id: unknown) =>
    (
      await t.app.inject({
        url: `/api/v1/contacts/${id}`,
        headers: { authorization: `Bearer ${nativeToken}` },
      })
    ).json();
  const contactCount = async () => {
    const res = await t.app.inject({
      url: "/api/v1/contacts?limit=500",
      headers: { authorization: `Bearer ${nativeToken}` },
    });
    return (res.json().data as unknown[]).length;
  };

  beforeAll(async () => {
    t = await openTestApp(engine, "sam");
    nativeToken = await t.token(["contacts:read"]);
    token = await login(await samUser(t.store, t.tenant.id));
  });
  afterAll(() => t.close());

  it("loginUser version 1 (form): 200, no body, the token and its lifetime in headers", async () => {
    const res = await loginForm(t.app, await samUser(t.store, t.tenant.id));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("");
    expect(res.headers["x-nextinteract-authtoken"]).toMatch(/^\S{20,}$/);
    expect(res.headers["x-nextinteract-authtoken-expiry-seconds"]).toBe("1800");
  });

  it("loginUser version 2 (JSON) gives a token that works; emails match case-insensitively", async () => {
    const email = await samUser(t.store, t.tenant.id);
    const res = await t.app.inject({
      method: "POST",
      url: "/rest/user/login",
      headers: { "content-type": "application/json" },
      payload: {
        uEmail: email.toUpperCase(),
        uPassword: password,
        platform: "iOS",
        appCode: "MY",
        version: "2",
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("");
    expect(res.headers["x-nextinteract-authtoken-expiry-seconds"]).toBe("1800");
    const jsonToken = res.headers["x-nextinteract-authtoken"] as string;
    expect((await upsert(t.app, jsonToken, [])).json()).toEqual([]);
  });

  it("the page's sample: created, reposted unchanged, older clock skipped, read back field by field", async () => {
    const before = await contactCount();
    const first = await upsert(t.app, token, pageSample);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual([
      { recordId: "CRMID-123", rowsAffected: 1 },
      { recordId: "CRMID-456", rowsAffected: 1 },
    ]);
    expect(await contactCount()).toBe(before + 2);

    const again = await upsert(t.app, token, pageSample);
    expect([again.statusCode, again.json()]).toEqual([200, first.json()]);
    expect(await contactCount()).toBe(before + 2);
    const [aaron] = await findByExternalId("CRMID-123");
    const [leo] = await findByExternalId("CRMID-456");
    expect(await findByExternalId("CRMID-123")).toHaveLength(1);
    expect(await findByExternalId("CRMID-456")).toHaveLength(1);
    const saved = [await readNative(aaron.id), await readNative(leo.id)];

    const older = JSON.parse(pageSample) as Array<Record<string, unknown>>;
    for (const record of older) {
      record.contactModified = 1416018840029;
      record.firstname = "Overwritten";
      record.countryCode = "NZ";
      record.notes = "stale";
    }
    const stale = await upsert(t.app, token, older);
    expect(stale.statusCode).toBe(200);
    expect(stale.json()).toEqual([
      { recordId: "CRMID-123", rowsAffected: 0 },
      { recordId: "CRMID-456", rowsAffected: 0 },
    ]);
    // Nothing at all changed, not even the bookkeeping.
    expect([await readNative(aaron.id), await readNative(leo.id)]).toEqual(saved);
    expect(await contactCount()).toBe(before + 2);

    const au = await t.app.inject({
      url: "/api/v1/reference/country?limit=500",
      headers: { authorization: `Bearer ${nativeToken}` },
    });
    const countryId = (code: string) =>
      (au.json().data as Array<{ id: number; code: string }>).find((c) => c.code === code)?.id;
    expect(countryId("AU")).toEqual(expect.any(Number));
    // Every ContactJSON field of the sample, in the page's order, as the native API reads it back.
    const fromSample = (values: {
      externalId: string;
      firstname: string;
      lastname: string;
      specialty: string;
      email: string;
    }) => ({
      workCountryId: countryId("AU"),
      otherCountryId: null,
      identifiers: { external_id: values.externalId },
      contactType: null,
      prefix: null,
      givenName: values.firstname,
      surname: values.lastname,
      phoneMobile: null,
      phoneWork: null,
      phoneOther: null,
      department: null,
      profession: "Doctor",
      specialty: values.specialty,
      category: "Sat Nov 15 13:34:00 EST 2014",
      email: values.email,
      emailSecondary: null,
      company: null,
      workLine1: "100 Test Street",
      workLine2: "North Sydney",
      workLine3: null,
      workCity: "Sydney",
      workState: null,
      workPostcode: "2061",
      owner: null,
      remarks: null,
      facebookId: null,
      dateOfBirth: null,
      webPage: null,
      otherLine1: null,
      otherLine2: null,
      otherLine3: null,
      otherCity: null,
      otherState: null,
      otherPostcode: null,
      faxWork: null,
      twitterId: null,
      sourceCreatedAt: null,
      sourceCreatedBy: null,
      sourceModifiedAt: new Date(1416018840030).toISOString(),
      sourceModifiedBy: null,
    });
    expect(saved[0]).toMatchObject(
      fromSample({
        externalId: "CRMID-123",
        firstname: "TestContact",
        lastname: "McMullen",
        specialty: "Oncologist",
        email: "aaron@interact.technology",
      }),
    );
    expect(saved[1]).toMatchObject(
      fromSample({
        externalId: "CRMID-456",
        firstname: "LeoTestContact",
        lastname: "Chen",
        specialty: "Cardiologist",
        email: "leo@interact.technology",
      }),
    );
  });

  it("every ContactJSON field lands in the canonical model and reads back through the native API", async () => {
    const record = {
      contactId: 987654,
      countryCode: "gb",
      otherCountryCode: "NZ",
      externalId: "CRM-FULL-1",
      contactType: "Referrer",
      title: "Dr",
      firstname: "Grace",
      lastname: "Hopper",
      mobile: "+61 400 000 001",
      phone: "+61 2 9000 0001",
      otherPhone: "+61 2 9000 0002",
      department: "Cardiology",
      contactProfession: "Surgeon",
      contactSpecialty: "Cardiothoracic",
      contactCategory: "Key opinion leader",
      email1: "grace@hospital.example",
      email2: "grace.hopper@home.example",
      company: "St Vincent's",
      workAddress1: "1 Work Way",
      workAddress2: "Level 2",
      workAddress3: "Suite 3",
      city: "London",
      state: "Greater London",
      postCode: "EC1A 1BB",
      ownedBy: "rep.jones",
      notes: "Prefers morning calls",
      facebookId: "grace.hopper",
      dateOfBirth: "1906-12-09",
      webPage: "https://grace.example",
      otherAddress1: "9 Home Road",
      otherAddress2: "Flat 4",
      otherAddress3: "Rear",
      otherCity: "Auckland",
      otherState: "Auckland",
      otherPostcode: "1010",
      faxNumber: "+61 2 9000 0003",
      twitterId: "@grace",
      contactCreated: 1416000000000,
      contactCreatedBy: "crm.admin",
      contactModified: 1416018840030,
      contactModifiedBy: "crm.sync",
    };
    const res = await upsert(t.app, token, [record]);
    expect(res.json()).toEqual([{ recordId: "CRM-FULL-1", rowsAffected: 1 }]);
    const [found] = await findByExternalId("CRM-FULL-1");
    expect(found.id).not.toBe(987654);
    const refs = await t.app.inject({
      url: "/api/v1/reference/country?limit=500",
      headers: { authorization: `Bearer ${nativeToken}` },
    });
    const countryId = (code: string) =>
      (refs.json().data as Array<{ id: number; code: string }>).find((c) => c.code === code)?.id;
    expect(await readNative(found.id)).toMatchObject({
      remarks: "Prefers morning calls",
      identifiers: { external_id: "CRM-FULL-1" },
      contactType: "Referrer",
      prefix: "Dr",
      givenName: "Grace",
      surname: "Hopper",
      phoneMobile: "+61 400 000 001",
      phoneWork: "+61 2 9000 0001",
      phoneOther: "+61 2 9000 0002",
      department: "Cardiology",
      profession: "Surgeon",
      specialty: "Cardiothoracic",
      category: "Key opinion leader",
      email: "grace@hospital.example",
      emailSecondary: "grace.hopper@home.example",
      company: "St Vincent's",
      workLine1: "1 Work Way",
      workLine2: "Level 2",
      workLine3: "Suite 3",
      workCity: "London",
      workState: "Greater London",
      workPostcode: "EC1A 1BB",
      workCountryId: countryId("GB"),
      owner: "rep.jones",
      facebookId: "grace.hopper",
      dateOfBirth: "1906-12-09",
      webPage: "https://grace.example",
      otherLine1: "9 Home Road",
      otherLine2: "Flat 4",
      otherLine3: "Rear",
      otherCity: "Auckland",
      otherState: "Auckland",
      otherPostcode: "1010",
      otherCountryId: countryId("NZ"),
      faxWork: "+61 2 9000 0003",
      twitterId: "@grace",
      sourceCreatedAt: new Date(1416000000000).toISOString(),
      sourceCreatedBy: "crm.admin",
      sourceModifiedAt: new Date(1416018840030).toISOString(),
      sourceModifiedBy: "crm.sync",
    });
    expect(countryId("GB")).toEqual(expect.any(Number));

    // A newer clock overwrites; a null clock keeps the stored one; null text clears.
    const newer = await upsert(t.app, token, [
      { externalId: "CRM-FULL-1", notes: null, contactModified: null, dateOfBirth: Date.UTC(1906, 11, 10) },
    ]);
    expect(newer.json()).toEqual([{ recordId: "CRM-FULL-1", rowsAffected: 1 }]);
    const [cleared] = await findByExternalId("CRM-FULL-1");
    expect(cleared.remarks).toBeNull();
    expect(await readNative(found.id)).toMatchObject({
      dateOfBirth: "1906-12-10",
      sourceModifiedAt: new Date(1416018840030).toISOString(),
    });
  });

  it("a record without externalId matches on email1 + first + last name, else is created", async () => {
    const record = { firstname: "Ada", lastname: "Lovelace", email1: "ada@engine.example", phone: "1" };
    const first = await upsert(t.app, token, [record]);
    const [{ recordId }] = first.json();
    expect(recordId).toMatch(/^\d+$/);
    const again = await upsert(t.app, token, [
      { firstname: " ADA ", lastname: "lovelace", email1: "Ada@Engine.example", phone: "2" },
    ]);
    expect(again.json()).toEqual([{ recordId, rowsAffected: 1 }]);
    expect((await readNative(recordId)).phoneWork).toBe("2");
    const other = await upsert(t.app, token, [{ ...record, firstname: "Augusta" }]);
    expect(other.json()[0].recordId).not.toBe(recordId);
  });

  it("a token of one company never reads or writes another's contacts", async () => {
    const other = await createTenant(t.store.db, `Other clinic ${engine}`);
    const shared = `shared.${engine}@clinic.example`;
    await samUser(t.store, t.tenant.id, { email: shared });
    await samUser(t.store, other.id, { email: shared, password: "the other password" });
    const mine = await login(shared);
    const theirs = await login(shared, "the other password");
    await upsert(t.app, mine, [{ externalId: "SHARED-1", firstname: "Mine", contactModified: 1 }]);
    const res = await upsert(t.app, theirs, [
      { externalId: "SHARED-1", firstname: "Theirs", contactModified: 2 },
    ]);
    expect(res.json()).toEqual([{ recordId: "SHARED-1", rowsAffected: 1 }]);
    const [contact] = await findByExternalId("SHARED-1");
    expect((await readNative(contact.id)).givenName).toBe("Mine");
    expect(await findByExternalId("SHARED-1")).toHaveLength(1);
    const theirsRead = await t.app.inject({
      url: "/api/v1/contacts?q=SHARED-1",
      headers: { authorization: `Bearer ${await t.token(["contacts:read"], other.id)}` },
    });
    expect(theirsRead.json().data).toMatchObject([{ givenName: "Theirs" }]);
    expect(theirsRead.json().data[0].id).not.toBe(contact.id);

    // Matching by email1 + names stays inside the company too.
    const person = { firstname: "Same", lastname: "Person", email1: `same.${engine}@clinic.example` };
    const [{ recordId: mineId }] = (await upsert(t.app, mine, [{ ...person, phone: "mine" }])).json();
    const [{ recordId: theirsId }] = (await upsert(t.app, theirs, [{ ...person, phone: "theirs" }])).json();
    expect(theirsId).not.toBe(mineId);
    expect((await readNative(mineId)).phoneWork).toBe("mine");
  });

  it("one email and password in two companies logs in to the oldest account", async () => {
    const older = await createTenant(t.store.db, `Older clinic ${engine}`);
    const newer = await createTenant(t.store.db, `Newer clinic ${engine}`);
    const email = `twice.${engine}@clinic.example`;
    await samUser(t.store, newer.id, { email });
    await samUser(t.store, older.id, { email });
    const session = await login(email);
    await upsert(t.app, session, [{ externalId: "TWICE-1", firstname: "Where" }]);
    const search = async (tenantId: number) =>
      (
        await t.app.inject({
          url: "/api/v1/contacts?q=TWICE-1",
          headers: { authorization: `Bearer ${await t.token(["contacts:read"], tenantId)}` },
        })
      ).json().data;
    expect(await search(older.id)).toHaveLength(1);
    expect(await search(newer.id)).toHaveLength(0);
  });

  it("logoutUser revokes the session token", async () => {
    const session = await login(await samUser(t.store, t.tenant.id));
    const out = await t.app.inject({
      method: "POST",
      url: "/rest/user/logout",
      headers: { "x-nextinteract-authtoken": session },
    });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toEqual({ booleanValue: true });
    const after = await upsert(t.app, session, []);
    expect(after.statusCode).toBe(401);
    expect(after.json()).toEqual(
      samError("WSInvalidAuthTokenException", 1006, "Invalid or expired authentication token."),
    );
  });

  it("session tokens slide: 30 idle minutes end them, use renews them (fake clock)", async () => {
    let now = Date.now();
    const app = await samAppWithClock(t.store, () => new Date(now));
    try {
      const session = await login(await samUser(t.store, t.tenant.id));
      now += 20 * 60_000;
      expect((await upsert(app, session, [])).statusCode).toBe(200);
      now += 25 * 60_000;
      expect((await upsert(app, session, [])).statusCode).toBe(200);
      now += 30 * 60_000 + 1_000;
      const expired = await upsert(app, session, []);
      expect(expired.statusCode).toBe(401);
      expect(expired.json()).toEqual(
        samError("WSInvalidAuthTokenException", 1006, "Invalid or expired authentication token."),
      );
    } finally {
      await app.close();
    }
  });

  it("TRIBUTARY_SAM_SESSION_SECONDS sets the idle lifetime and the expiry header (fake clock)", async () => {
    let now = Date.now();
    const app = await samAppWithClock(t.store, () => new Date(now), { TRIBUTARY_SAM_SESSION_SECONDS: "60" });
    try {
      const res = await loginForm(app, await samUser(t.store, t.tenant.id));
      expect(res.statusCode).toBe(200);
      expect(res.headers["x-nextinteract-authtoken-expiry-seconds"]).toBe("60");
      const session = res.headers["x-nextinteract-authtoken"] as string;
      now += 50_000;
      expect((await upsert(app, session, [])).statusCode).toBe(200);
      now += 61_000;
      const expired = await upsert(app, session, []);
      expect([expired.statusCode, expired.json()]).toEqual([401, invalidToken]);
    } finally {
      await app.close();
    }
  });

  it("the session token is stored only as its SHA-256 hash", async () => {
    const session = await login(await samUser(t.store, t.tenant.id));
    const rows = await t.store.db
      .selectFrom("apiTokens")
      .selectAll()
      .where("tenantId", "=", t.tenant.id)
      .where("kind", "=", "sam-session")
      .execute();
    const mine = rows.filter((r) => Buffer.from(r.tokenHash).equals(hashToken(session)));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ idleTimeoutSeconds: 1800, revokedAt: null });
    // The secret is what follows the second "_" (its own base64url alphabet has "_" too).
    expect(JSON.stringify(rows)).not.toContain(/^trb_\d+_(.+)$/.exec(session)?.[1] ?? session);
  });

  it("five failed logins in 15 minutes lock the account for 15 minutes, across a restart", async () => {
    const email = await samUser(t.store, t.tenant.id);
    const failed = samError(
      "WSAuthenticationFailedException",
      1005,
      "Failed to authenticate. Please correct login details or press cancel if not registered.",
    );
    const locked = samError(
      "WSAccountLockedException",
      1004,
      "This account is currently locked. Please check with your Administrator.",
    );
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const res = await loginForm(t.app, email, "wrong");
      expect([res.statusCode, res.json()]).toEqual([401, failed]);
    }
    const fifth = await loginForm(t.app, email, "wrong");
    expect([fifth.statusCode, fifth.json()]).toEqual([401, locked]);
    const right = await loginForm(t.app, email);
    expect([right.statusCode, right.json()]).toEqual([401, locked]);

    const restarted = await buildApp({ store: t.store, config: readConfig({}) });
    try {
      const res = await loginForm(restarted, email);
      expect([res.statusCode, res.json()]).toEqual([401, locked]);
    } finally {
      await restarted.close();
    }
    const almost = await samAppWithClock(t.store, () => new Date(Date.now() + 14 * 60_000));
    try {
      const res = await loginForm(almost, email);
      expect([res.statusCode, res.json()]).toEqual([401, locked]);
    } finally {
      await almost.close();
    }
    const later = await samAppWithClock(t.store, () => new Date(Date.now() + 15 * 60_000 + 1_000));
    try {
      expect((await loginForm(later, email)).statusCode).toBe(200);
    } finally {
      await later.close();
    }
  });

  it("the failure counter survives a restart: three failures before it and two after lock", async () => {
    const email = await samUser(t.store, t.tenant.id);
    for (let attempt = 1; attempt <= 3; attempt += 1)
      expect((await loginForm(t.app, email, "wrong")).json().exception).toBe(
        "WSAuthenticationFailedException",
      );
    const restarted = await buildApp({ store: t.store, config: readConfig({}) });
    try {
      expect((await loginForm(restarted, email, "wrong")).json().exception).toBe(
        "WSAuthenticationFailedException",
      );
      const fifth = await loginForm(restarted, email, "wrong");
      expect([fifth.statusCode, fifth.json().exception]).toEqual([401, "WSAccountLockedException"]);
      expect((await loginForm(restarted, email)).json().exception).toBe("WSAccountLockedException");
    } finally {
      await restarted.close();
    }
  });

  it("a successful login resets the failure counter", async () => {
    const email = await samUser(t.store, t.tenant.id);
    for (let attempt = 1; attempt <= 4; attempt += 1)
      expect((await loginForm(t.app, email, "wrong")).statusCode).toBe(401);
    expect((await loginForm(t.app, email)).statusCode).toBe(200);
    for (let attempt = 1; attempt <= 4; attempt += 1)
      expect((await loginForm(t.app, email, "wrong")).json().exception).toBe(
        "WSAuthenticationFailedException",
      );
  });

  it("failures spread over more than 15 minutes do not lock", async () => {
    let now = Date.now();
    const app = await samAppWithClock(t.store, () => new Date(now));
    try {
      const email = await samUser(t.store, t.tenant.id);
      for (let attempt = 1; attempt <= 4; attempt += 1)
        expect((await loginForm(app, email, "x")).statusCode).toBe(401);
      now += 16 * 60_000;
      expect((await loginForm(app, email, "x")).json().exception).toBe("WSAuthenticationFailedException");
      expect((await loginForm(app, email)).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  const loginCases = [
    {
      title: "no password",
      payload: "uEmail=a%40b.example&appCode=NI&version=1",
      status: 400,
      body: samError(
        "WSNoUsernameOrPasswordException",
        1001,
        "Username and Password must be supplied for login.",
      ),
    },
    {
      title: "an empty body",
      payload: "",
      status: 400,
      body: samError(
        "WSNoUsernameOrPasswordException",
        1001,
        "Username and Password must be supplied for login.",
      ),
    },
    {
      title: "an unknown email",
      payload: "uEmail=nobody%40nowhere.example&uPassword=x&appCode=NI&version=1",
      status: 401,
      body: samError(
        "WSAuthenticationFailedException",
        1005,
        "Failed to authenticate. Please correct login details or press cancel if not registered.",
      ),
    },
    {
      title: "an unknown appCode and version",
      payload: "uEmail=a%40b.example&uPassword=x&appCode=XX&version=7",
      status: 400,
      body: samError(
        "WSInvalidParameterException",
        1002,
        "Invalid parameter supplied to service. field appCode: appCode must be NI or MY; field version: version must be 1 or 2",
        [
          { field: "appCode", message: "appCode must be NI or MY" },
          { field: "version", message: "version must be 1 or 2" },
        ],
      ),
    },
    {
      title: "a NUL in uEmail",
      payload: "uEmail=a%00%40b.example&uPassword=x&appCode=NI&version=1",
      status: 400,
      body: samError(
        "WSInvalidParameterException",
        1002,
        "Invalid parameter supplied to service. field uEmail: uEmail contains a NUL (U+0000) character",
        [{ field: "uEmail", message: "uEmail contains a NUL (U+0000) character" }],
      ),
    },
  ];
  it.each(loginCases)("loginUser with $title → $status", async ({ payload, status, body }) => {
    const res = await t.app.inject({
      method: "POST",
      url: "/rest/user/login",
      headers: { "content-type": form },
      payload,
    });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual(body);
    expect(res.body).toContain(`"errorCode":${body.errorCode}.0`);
  });

  it("a user with the admin role may upsert without SamApiUser", async () => {
    const session = await login(await samUser(t.store, t.tenant.id, { roles: ["admin"] }));
    const res = await upsert(t.app, session, [{ externalId: "ADMIN-1", firstname: "Root" }]);
    expect([res.statusCode, res.json()]).toEqual([200, [{ recordId: "ADMIN-1", rowsAffected: 1 }]]);
  });

  it("a user without the SAM role gets WSInsufficientPermissionsException", async () => {
    const session = await login(await samUser(t.store, t.tenant.id, { roles: ["contacts:read"] }));
    const res = await upsert(t.app, session, pageSample);
    expect(res.statusCode).toBe(401);
    expect(res.body).toBe(
      '{"exception":"WSInsufficientPermissionsException","errorCode":1003.0,"message":"User does not have permissions for this operation."}',
    );
  });

  const bad = (message: string, errors: unknown[]) =>
    samError(
      "WSInvalidParameterException",
      1002,
      `Invalid parameter supplied to service. ${message}`,
      errors,
    );
  const record = (overrides: Record<string, unknown>) => [
    { externalId: "BAD-1", firstname: "Bad", lastname: "Input", email1: "bad@input.example", ...overrides },
  ];
  const upsertCases: Array<{
    title: string;
    token?: "none" | "native" | "unknown";
    body: unknown;
    status: number;
    expected: unknown;
  }> = [
    { title: "no token header", token: "none", body: pageSample, status: 401, expected: invalidToken },
    { title: "an unknown token", token: "unknown", body: pageSample, status: 401, expected: invalidToken },
    { title: "a native API token", token: "native", body: pageSample, status: 401, expected: invalidToken },
    {
      title: "a non-array body",
      body: { contacts: [] },
      status: 400,
      expected: bad("the body must be array", [{ message: "the body must be array" }]),
    },
    {
      title: 'contactModified "yesterday"',
      body: record({ contactModified: "yesterday" }),
      status: 400,
      expected: bad("record 0 (externalId 'BAD-1'), field contactModified: must be integer or null", [
        { record: 0, externalId: "BAD-1", field: "contactModified", message: "must be integer or null" },
      ]),
    },
    {
      title: "a 10,000-character firstname",
      body: record({ firstname: "x".repeat(10_000) }),
      status: 400,
      expected: bad(
        "record 0 (externalId 'BAD-1'), field firstname: firstname is 10000 characters long; at most 120 are allowed",
        [
          {
            record: 0,
            externalId: "BAD-1",
            field: "firstname",
            message: "firstname is 10000 characters long; at most 120 are allowed",
          },
        ],
      ),
    },
    {
      title: "a malformed email1 in the second record",
      body: [...record({}), { externalId: "BAD-2", email1: "not-an-email" }],
      status: 400,
      expected: bad(
        "record 1 (externalId 'BAD-2'), field email1: email1 'not-an-email' is not an email address",
        [
          {
            record: 1,
            externalId: "BAD-2",
            field: "email1",
            message: "email1 'not-an-email' is not an email address",
          },
        ],
      ),
    },
    {
      title: "an unknown countryCode",
      body: record({ countryCode: "XX" }),
      status: 400,
      expected: bad(
        "record 0 (externalId 'BAD-1'), field countryCode: countryCode 'XX' is not an ISO 3166-1 alpha-2 country code",
        [
          {
            record: 0,
            externalId: "BAD-1",
            field: "countryCode",
            message: "countryCode 'XX' is not an ISO 3166-1 alpha-2 country code",
          },
        ],
      ),
    },
    {
      title: "an impossible dateOfBirth",
      body: record({ dateOfBirth: "2001-02-30" }),
      status: 400,
      expected: bad(
        "record 0 (externalId 'BAD-1'), field dateOfBirth: dateOfBirth must be YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds",
        [
          {
            record: 0,
            externalId: "BAD-1",
            field: "dateOfBirth",
            message: "dateOfBirth must be YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds",
          },
        ],
      ),
    },
    {
      title:
        "an impossible dateOfBirth with a malformed email1, and a malformed email1 in the second record: all at once",
      body: [
        ...record({ dateOfBirth: "2001-02-30", email1: "nope" }),
        { externalId: "BAD-2", email1: "not-an-email" },
      ],
      status: 400,
      expected: bad(
        "record 0 (externalId 'BAD-1'), field dateOfBirth: dateOfBirth must be YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds; record 0 (externalId 'BAD-1'), field email1: email1 'nope' is not an email address; record 1 (externalId 'BAD-2'), field email1: email1 'not-an-email' is not an email address",
        [
          {
            record: 0,
            externalId: "BAD-1",
            field: "dateOfBirth",
            message: "dateOfBirth must be YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds",
          },
          {
            record: 0,
            externalId: "BAD-1",
            field: "email1",
            message: "email1 'nope' is not an email address",
          },
          {
            record: 1,
            externalId: "BAD-2",
            field: "email1",
            message: "email1 'not-an-email' is not an email address",
          },
        ],
      ),
    },
    {
      title: "a contactModified in the year 10000 in the second record",
      body: [...record({}), { externalId: "BAD-2", contactModified: 253402300800000 }],
      status: 400,
      expected: bad(
        "record 1 (externalId 'BAD-2'), field contactModified: contactModified 253402300800000 is outside the years 0001 to 9999 (epoch milliseconds -62135596800000 to 253402300799999)",
        [
          {
            record: 1,
            externalId: "BAD-2",
            field: "contactModified",
            message:
              "contactModified 253402300800000 is outside the years 0001 to 9999 (epoch milliseconds -62135596800000 to 253402300799999)",
          },
        ],
      ),
    },
    {
      title: "a numeric externalId too large to read exactly",
      body: "[" + '{"externalId": 12345678901234567890, "firstname": "Big"}' + "]",
      status: 400,
      expected: bad(
        "record 0 (externalId '12345678901234567000'), field externalId: externalId 12345678901234567000 is too large a number to read exactly; send it as a string",
        [
          {
            record: 0,
            externalId: "12345678901234567000",
            field: "externalId",
            message:
              "externalId 12345678901234567000 is too large a number to read exactly; send it as a string",
          },
        ],
      ),
    },
    {
      title: "an unpaired surrogate in lastname",
      body: record({ lastname: "Ch\ud800en" }),
      status: 400,
      expected: bad(
        "record 0 (externalId 'BAD-1'), field lastname: lastname contains an unpaired surrogate (it is not valid Unicode)",
        [
          {
            record: 0,
            externalId: "BAD-1",
            field: "lastname",
            message: "lastname contains an unpaired surrogate (it is not valid Unicode)",
          },
        ],
      ),
    },
    {
      title: "an unknown otherCountryCode",
      body: record({ otherCountryCode: "ZZ" }),
      status: 400,
      expected: bad(
        "record 0 (externalId 'BAD-1'), field otherCountryCode: otherCountryCode 'ZZ' is not an ISO 3166-1 alpha-2 country code",
        [
          {
            record: 0,
            externalId: "BAD-1",
            field: "otherCountryCode",
            message: "otherCountryCode 'ZZ' is not an ISO 3166-1 alpha-2 country code",
          },
        ],
      ),
    },
    {
      title: "an unknown field",
      body: record({ nickname: "Baddie" }),
      status: 400,
      expected: bad("record 0 (externalId 'BAD-1'), field nickname: Unknown field 'nickname'", [
        { record: 0, externalId: "BAD-1", field: "nickname", message: "Unknown field 'nickname'" },
      ]),
    },
    {
      title: "broken JSON",
      body: '[{"externalId": "BAD-1",',
      status: 400,
      expected: samError(
        "WSInvalidParameterException",
        1002,
        "Invalid parameter supplied to service. The body is not valid JSON: unexpected end of input at position 24 (line 1, column 25)",
      ),
    },
  ];
  it.each(upsertCases)(
    "upsert with $title → $status, nothing written",
    async ({ token: kind, body, status, expected }) => {
      const before = await contactCount();
      const presented =
        kind === "none"
          ? undefined
          : kind === "native"
            ? nativeToken
            : kind === "unknown"
              ? "trb_1_nope"
              : token;
      const res = await upsert(t.app, presented, body);
      expect(res.statusCode).toBe(status);
      expect(res.json()).toEqual(expected);
      expect(await contactCount()).toBe(before);
    },
  );

  it("a body that is not JSON at all is a parameter error, never a 5xx", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/rest/company/contact/upsert",
      headers: { "content-type": "text/plain", "x-nextinteract-authtoken": token },
      payload: "hello",
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().exception).toBe("WSInvalidParameterException");
  });

  // Values JavaScript holds but PostgreSQL does not, and shapes no record has: each is refused on its
  // record and field (`where`), never later by the database and never as a 5xx.
  const hostile: Array<{ title: string; body: unknown; where?: { record: number; field?: string } }> = [
    {
      title: "contactModified at JavaScript's last day",
      body: [{ externalId: "H-1", contactModified: 8.64e15 }],
      where: { record: 0, field: "contactModified" },
    },
    {
      title: "contactCreated before the year 0001",
      body: [{ externalId: "H-2", contactCreated: -62198755200000 }],
      where: { record: 0, field: "contactCreated" },
    },
    {
      title: "dateOfBirth in the year 10000",
      body: [{ externalId: "H-3", dateOfBirth: 253402300800000 }],
      where: { record: 0, field: "dateOfBirth" },
    },
    {
      title: "a 10,000-character externalId",
      body: [{ externalId: "x".repeat(10_000) }],
      where: { record: 0, field: "externalId" },
    },
    {
      title: "a NUL in externalId",
      body: [{ externalId: "a\u0000b" }],
      where: { record: 0, field: "externalId" },
    },
    {
      title: "a NUL in email1 without externalId",
      body: [{ email1: "a\u0000@b.example", firstname: "N" }],
      where: { record: 0, field: "email1" },
    },
    {
      title: "an unpaired surrogate in email1 without externalId",
      body: [{ email1: "a\udc00@b.example" }],
      where: { record: 0, field: "email1" },
    },
    {
      title: "an object as externalId",
      body: [{ externalId: { id: 1 } }],
      where: { record: 0, field: "externalId" },
    },
    { title: "null as a record", body: [null], where: { record: 0 } },
    { title: "a __proto__ key", body: '[{"__proto__": {"admin": true}, "externalId": "H-4"}]' },
  ];
  it.each(hostile)(
    "upsert with $title → WSInvalidParameterException, nothing written",
    async ({ body, where }) => {
      const before = await contactCount();
      const res = await upsert(t.app, token, body);
      expect(res.statusCode).toBe(400);
      const answer = res.json();
      expect(answer).toMatchObject({ exception: "WSInvalidParameterException", errorCode: 1002 });
      expect(
        answer.errors?.map((e: Record<string, unknown>) => ({ record: e.record, field: e.field })),
      ).toEqual(where && [{ record: where.record, field: where.field }]);
      expect(await contactCount()).toBe(before);
    },
  );

  it("two records of one request without externalId and the same email and names are one contact", async () => {
    const person = { firstname: "Twin", lastname: "Record", email1: "twin.record@example.org" };
    const res = await upsert(t.app, token, [person, { ...person, mobile: "0400 000 001" }]);
    expect(res.statusCode).toBe(200);
    const [first, second] = res.json();
    expect(first).toEqual({ recordId: second.recordId, rowsAffected: 1 });
    const found = await t.app.inject({
      url: "/api/v1/contacts?q=twin.record@example.org",
      headers: { authorization: `Bearer ${nativeToken}` },
    });
    expect(found.json().data).toMatchObject([{ id: Number(first.recordId), phoneMobile: "0400 000 001" }]);
  });
});
