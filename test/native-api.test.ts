import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latestSchemaVersion } from "../src/store/database.js";
import { nativeContact, openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

describe.each(testEngines)("native API on %s", (engine) => {
  let t: TestApp;
  let token: string;
  const upsert = (body: unknown, headers: Record<string, string> = {}, auth = token) =>
    t.app.inject({
      method: "POST",
      url: "/api/v1/contacts/batch/upsert",
      headers: { authorization: `Bearer ${auth}`, "content-type": "application/json", ...headers },
      payload: typeof body === "string" ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    t = await openTestApp(engine, "native", { bodyLimit: 1024 * 1024 });
    token = await t.token();
  });
  afterAll(() => t.close());

  it("answers health with the engine and schema version", async () => {
    const res = await t.app.inject({ url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok", engine, schemaVersion: latestSchemaVersion });
  });

  it("upserts a batch and reads it back with identifiers and children", async () => {
    const input = nativeContact({
      dateOfBirth: "1990-05-01",
      tags: [{ tag: "Open Day", taggedAt: "2026-03-01" }],
      consents: [{ type: "email", granted: true }],
    });
    const res = await upsert({ idProperty: "external_id", inputs: [input, nativeContact()] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(["created", "created"]);
    expect(body.summary).toEqual({ created: 2, updated: 0, unchanged: 0, error: 0 });
    const got = await t.app.inject({
      url: `/api/v1/contacts/${body.results[0].id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({
      id: body.results[0].id,
      identifiers: input.identifiers,
      givenName: "Ada",
      dateOfBirth: "1990-05-01",
      phoneMobile: null,
      tags: [{ tag: "Open Day", taggedAt: "2026-03-01" }],
      consents: [{ type: "email", granted: true }],
    });
    const again = await upsert({ idProperty: "external_id", inputs: [input] });
    expect(again.json().results[0]).toMatchObject({ status: "unchanged", id: body.results[0].id });
  });

  it("allOrNone: one bad input → 422 listing every error, nothing written", async () => {
    const good = nativeContact();
    const res = await upsert({
      idProperty: "external_id",
      inputs: [good, nativeContact({ givenName: "x".repeat(121), email: "nope" })],
    });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.error.code).toBe("BATCH_REJECTED");
    expect(body.error.details).toEqual(
      expect.arrayContaining([
        {
          code: "CONTACT_FIELD_TOO_LONG",
          field: "inputs[1].givenName",
          index: 1,
          message: "givenName is 121 characters long; at most 120 are allowed",
        },
        {
          code: "CONTACT_EMAIL_INVALID",
          field: "inputs[1].email",
          index: 1,
          message: "email 'nope' is not an email address",
        },
      ]),
    );
    const search = await t.app.inject({
      url: `/api/v1/contacts?q=${encodeURIComponent(String(good.email))}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(search.json().data).toEqual([]);
  });

  it("partial: mixed batch → 207 with per-input results", async () => {
    const res = await upsert({
      idProperty: "external_id",
      mode: "partial",
      inputs: [nativeContact(), nativeContact({ heatStatusId: 99_999_999 })],
    });
    expect(res.statusCode).toBe(207);
    const [ok, bad] = res.json().results;
    expect(ok).toMatchObject({ index: 0, status: "created", errors: [] });
    expect(bad).toEqual({
      index: 1,
      status: "error",
      errors: [
        {
          code: "CONTACT_REFERENCE_UNKNOWN",
          field: "inputs[1].heatStatusId",
          index: 1,
          message: "heatStatusId 99999999 is not a heat-status of this tenant",
        },
      ],
    });
  });

  it.each([
    {
      title: "malformed JSON names the position",
      body: '{"idProperty":"external_id",\n "inputs": [ {"a":} ]}',
      status: 400,
      code: "REQUEST_JSON_INVALID",
      message: /unexpected .}. at position 47 \(line 2, column 19\)/,
    },
    {
      title: "unknown fields are named",
      body: { idProperty: "external_id", inputs: [{ givenName: "A", favouriteColour: "red" }] },
      status: 400,
      code: "REQUEST_UNKNOWN_FIELD",
      message: /inputs\[0\]\.favouriteColour/,
    },
    {
      title: "a wrong JSON type is refused",
      body: { idProperty: "external_id", inputs: [{ givenName: 42 }] },
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: /inputs\[0\]\.givenName/,
    },
    {
      title: "__proto__ keys are refused",
      body: '{"idProperty":"external_id","inputs":[{"__proto__":{"admin":true}}]}',
      status: 400,
      code: "REQUEST_FORBIDDEN_KEY",
      message: /__proto__/,
    },
    {
      title: "constructor.prototype keys are refused",
      body: '{"idProperty":"external_id","inputs":[{"constructor":{"prototype":{"x":1}}}]}',
      status: 400,
      code: "REQUEST_FORBIDDEN_KEY",
      message: /constructor/,
    },
    {
      title: "too many inputs",
      body: { idProperty: "external_id", inputs: Array.from({ length: 1001 }, () => ({})) },
      status: 400,
      code: "REQUEST_TOO_MANY_RECORDS",
      message: /1001/,
    },
    {
      title: "an empty batch",
      body: { idProperty: "external_id", inputs: [] },
      status: 400,
      code: "REQUEST_EMPTY_BATCH",
      message: /empty/,
    },
    {
      title: "an unknown idProperty",
      body: { idProperty: "Bad Key!", inputs: [{}] },
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: /idProperty/,
    },
    {
      title: "a missing match key",
      body: { idProperty: "external_id", inputs: [{ givenName: "A" }] },
      status: 422,
      code: "BATCH_REJECTED",
      message: /invalid/,
    },
    { title: "an empty body", body: "", status: 400, code: "REQUEST_JSON_INVALID", message: /empty/ },
  ])("$title", async ({ body, status, code, message }) => {
    const res = await upsert(body);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(res.json().error.message).toMatch(message);
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it("a body over the limit → 413", async () => {
    const res = await upsert({
      idProperty: "external_id",
      inputs: [nativeContact({ notes: undefined, photoBase64: "x".repeat(1024 * 1024) })],
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe("REQUEST_TOO_LARGE");
  });

  it("an unsupported content type → 415", async () => {
    const res = await upsert("a,b", { "content-type": "text/csv" });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe("REQUEST_UNSUPPORTED_MEDIA_TYPE");
  });

  it.each([
    { title: "no token", headers: {}, status: 401, code: "AUTH_MISSING" },
    {
      title: "a wrong token",
      headers: { authorization: "Bearer trb_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
      status: 401,
      code: "AUTH_INVALID",
    },
    { title: "garbage", headers: { authorization: "Basic Zm9vOmJhcg==" }, status: 401, code: "AUTH_MISSING" },
  ])("auth: $title → $status", async ({ headers, status, code }) => {
    const res = await t.app.inject({ method: "GET", url: "/api/v1/contacts", headers });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
  });

  it("a revoked or expired token is refused; a token without the role gets 403", async () => {
    const { issueToken, revokeToken } = await import("../src/store/api-tokens.js");
    const revoked = await issueToken(t.store.db, { tenantId: t.tenant.id, roles: ["contacts:write"] });
    await revokeToken(t.store.db, revoked.id);
    expect(
      (await upsert({ idProperty: "external_id", inputs: [nativeContact()] }, {}, revoked.token)).statusCode,
    ).toBe(401);
    const expired = await issueToken(t.store.db, {
      tenantId: t.tenant.id,
      roles: ["contacts:write"],
      expiresAt: new Date(Date.now() - 1000),
    });
    expect(
      (await upsert({ idProperty: "external_id", inputs: [nativeContact()] }, {}, expired.token)).statusCode,
    ).toBe(401);
    const reader = await t.token(["contacts:read"]);
    const res = await upsert({ idProperty: "external_id", inputs: [nativeContact()] }, {}, reader);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("AUTH_FORBIDDEN");
    const noRole = await t.token(["REGISUserRole"]);
    expect(
      (await t.app.inject({ url: "/api/v1/contacts", headers: { authorization: `Bearer ${noRole}` } }))
        .statusCode,
    ).toBe(403);
  });

  it("another tenant's token sees 404 for this tenant's ids and never its contacts", async () => {
    const res = await upsert({ idProperty: "external_id", inputs: [nativeContact({ surname: "Isolated" })] });
    const id = res.json().results[0].id;
    const { createTenant } = await import("../src/store/tenants.js");
    const other = await createTenant(t.store.db, "Other tenant");
    const otherToken = await t.token(["admin"], other.id);
    const auth = { authorization: `Bearer ${otherToken}` };
    expect((await t.app.inject({ url: `/api/v1/contacts/${id}`, headers: auth })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/contacts/${id}/history`, headers: auth })).statusCode).toBe(
      404,
    );
    expect((await t.app.inject({ url: "/api/v1/contacts?q=Isolated", headers: auth })).json().data).toEqual(
      [],
    );
    // A token claiming this tenant's id in its prefix but issued for the other is unknown here.
    const forged = otherToken.replace(/^trb_\d+_/, `trb_${t.tenant.id}_`);
    expect(
      (await t.app.inject({ url: "/api/v1/contacts", headers: { authorization: `Bearer ${forged}` } }))
        .statusCode,
    ).toBe(401);
  });

  it("Idempotency-Key replays the first answer and refuses another body", async () => {
    const body = { idProperty: "external_id", inputs: [nativeContact()] };
    const key = { "idempotency-key": `k-${Date.now()}` };
    const first = await upsert(body, key);
    expect(first.json().results[0].status).toBe("created");
    const second = await upsert(body, key);
    expect(second.statusCode).toBe(first.statusCode);
    expect(second.body).toBe(first.body);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    const other = await upsert({ ...body, mode: "partial" }, key);
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("searches and pages with a cursor; history lists status changes", async () => {
    const surname = `Pager${Date.now()}`;
    const inputs = Array.from({ length: 5 }, (_, i) => nativeContact({ surname, givenName: `P${i}` }));
    await upsert({ idProperty: "external_id", inputs });
    const auth = { authorization: `Bearer ${token}` };
    const page1 = (
      await t.app.inject({ url: `/api/v1/contacts?q=${surname}&limit=3`, headers: auth })
    ).json();
    expect(page1.data).toHaveLength(3);
    const page2 = (
      await t.app.inject({
        url: `/api/v1/contacts?q=${surname}&limit=3&cursor=${page1.nextCursor}`,
        headers: auth,
      })
    ).json();
    expect(page2.data).toHaveLength(2);
    expect(page2.nextCursor).toBeNull();
    const byIdentifier = (
      await t.app.inject({
        url: `/api/v1/contacts?q=${(inputs[0].identifiers as { external_id: string }).external_id}`,
        headers: auth,
      })
    ).json();
    expect(byIdentifier.data.map((c: { givenName: string }) => c.givenName)).toEqual(["P0"]);
    const bad = await t.app.inject({ url: "/api/v1/contacts?cursor=zzz", headers: auth });
    expect(bad.statusCode).toBe(400);
    const heat = (await t.app.inject({ url: "/api/v1/reference/heat-status", headers: auth })).json().data;
    const created = await upsert({
      idProperty: "external_id",
      inputs: [nativeContact({ heatStatusId: heat[0].id })],
    });
    const history = (
      await t.app.inject({ url: `/api/v1/contacts/${created.json().results[0].id}/history`, headers: auth })
    ).json();
    expect(history.data).toMatchObject([
      { kind: "heat_status", statusId: heat[0].id, statusName: heat[0].name, reason: "Contact created" },
    ]);
  });

  it("admins manage reference data; a deactivated row is refused for new writes", async () => {
    const admin = { authorization: `Bearer ${await t.token(["admin"])}`, "content-type": "application/json" };
    const added = await t.app.inject({
      method: "POST",
      url: "/api/v1/reference/heat-status",
      headers: admin,
      payload: { name: "Scorching" },
    });
    expect(added.statusCode).toBe(201);
    const { id } = added.json();
    const dup = await t.app.inject({
      method: "POST",
      url: "/api/v1/reference/heat-status",
      headers: admin,
      payload: { name: "scorching" },
    });
    expect(dup.statusCode).toBe(409);
    const writer = await t.app.inject({
      method: "POST",
      url: "/api/v1/reference/heat-status",
      headers: { ...admin, authorization: `Bearer ${token}` },
      payload: { name: "X" },
    });
    expect(writer.statusCode).toBe(403);
    await t.app.inject({
      method: "PATCH",
      url: `/api/v1/reference/heat-status/${id}`,
      headers: admin,
      payload: { active: false },
    });
    const res = await upsert({ idProperty: "external_id", inputs: [nativeContact({ heatStatusId: id })] });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details[0]).toMatchObject({
      code: "CONTACT_REFERENCE_INACTIVE",
      field: "inputs[0].heatStatusId",
    });
  });

  it("serves the OpenAPI document and the docs page", async () => {
    const doc = (await t.app.inject({ url: "/api/v1/openapi.json" })).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/api/v1/contacts/batch/upsert");
    expect((await t.app.inject({ url: "/docs/" })).statusCode).toBe(200);
  });

  it.each([
    {
      title: "an id beyond any bigint",
      url: "/api/v1/contacts/99999999999999999999",
      code: "REQUEST_BODY_INVALID",
    },
    {
      title: "a history id beyond any bigint",
      url: "/api/v1/contacts/99999999999999999999/history",
      code: "REQUEST_BODY_INVALID",
    },
    { title: "a NUL character in a search", url: "/api/v1/contacts?q=%00", code: "REQUEST_BODY_INVALID" },
  ])("reads: $title → 400, never a 5xx", async ({ url, code }) => {
    const res = await t.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe(code);
  });

  it("a NUL character in a field or identifier is that input's error, not a 5xx", async () => {
    const res = await upsert({
      idProperty: "external_id",
      mode: "partial",
      inputs: [
        nativeContact({ givenName: "A\u0000B" }),
        nativeContact({ identifiers: { external_id: "X\u0000" } }),
        nativeContact(),
      ],
    });
    expect(res.statusCode).toBe(207);
    const [nul, nulId, ok] = res.json().results;
    expect(nul.errors).toEqual([
      {
        code: "CONTACT_FIELD_INVALID",
        field: "inputs[0].givenName",
        index: 0,
        message: "givenName contains a NUL (U+0000) character",
      },
    ]);
    expect(nulId.errors[0]).toMatchObject({
      code: "CONTACT_FIELD_INVALID",
      field: "inputs[1].identifiers.external_id",
    });
    expect(ok.status).toBe("created");
  });

  it("unknown routes answer 404 in the native shape", async () => {
    const res = await t.app.inject({ url: "/api/v1/nope" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("REQUEST_NOT_FOUND");
  });
});
