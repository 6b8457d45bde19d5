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
    expect(body.error.details).toHaveLength(2);
    // The valid input's result says why it was not written, like Salesforce's ALL_OR_NONE_OPERATION_ROLLED_BACK.
    expect(body.results[0]).toEqual({
      index: 0,
      status: "error",
      errors: [
        {
          code: "BATCH_ROLLED_BACK",
          message: "Not written: another input of this allOrNone batch is invalid",
          index: 0,
        },
      ],
    });
    expect(body.results[1].errors.map((e: { code: string }) => e.code).sort()).toEqual([
      "CONTACT_EMAIL_INVALID",
      "CONTACT_FIELD_TOO_LONG",
    ]);
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

  it("partial: every input failing → 422 with the BATCH_REJECTED error object, results and summary", async () => {
    const res = await upsert({
      idProperty: "external_id",
      mode: "partial",
      inputs: [nativeContact({ heatStatusId: 99_999_999 })],
    });
    expect(res.statusCode).toBe(422);
    const error = {
      code: "CONTACT_REFERENCE_UNKNOWN",
      field: "inputs[0].heatStatusId",
      index: 0,
      message: "heatStatusId 99999999 is not a heat-status of this tenant",
    };
    expect(res.json()).toEqual({
      error: {
        code: "BATCH_REJECTED",
        message: "1 of 1 inputs are invalid; nothing was written",
        details: [error],
      },
      results: [{ index: 0, status: "error", errors: [error] }],
      summary: { created: 0, updated: 0, unchanged: 0, error: 1 },
    });
  });

  const requestError = (code: string, message: string, details?: unknown[]) => ({
    error: details ? { code, message, details } : { code, message },
  });

  it.each([
    {
      title: "malformed JSON names the position",
      body: '{"idProperty":"external_id",\n "inputs": [ {"a":} ]}',
      status: 400,
      expected: requestError(
        "REQUEST_JSON_INVALID",
        "The body is not valid JSON: unexpected '}' at position 47 (line 2, column 19)",
      ),
    },
    {
      title: "truncated JSON names the end of input",
      body: '{"idProperty":"external_id","inputs":[',
      status: 400,
      expected: requestError(
        "REQUEST_JSON_INVALID",
        "The body is not valid JSON: unexpected end of input at position 38 (line 1, column 39)",
      ),
    },
    {
      title: "unknown fields are named",
      body: { idProperty: "external_id", inputs: [{ givenName: "A", favouriteColour: "red" }] },
      status: 400,
      expected: requestError(
        "REQUEST_UNKNOWN_FIELD",
        "inputs[0].favouriteColour: Unknown field 'favouriteColour'",
        [
          {
            code: "REQUEST_UNKNOWN_FIELD",
            message: "Unknown field 'favouriteColour'",
            field: "inputs[0].favouriteColour",
          },
        ],
      ),
    },
    {
      title: "an unknown top-level field is named",
      body: { idProperty: "external_id", inputs: [{}], dryRun: true },
      status: 400,
      expected: requestError("REQUEST_UNKNOWN_FIELD", "dryRun: Unknown field 'dryRun'", [
        { code: "REQUEST_UNKNOWN_FIELD", message: "Unknown field 'dryRun'", field: "dryRun" },
      ]),
    },
    {
      title: "a wrong JSON type is refused in one sentence per field",
      body: { idProperty: "external_id", inputs: [{ givenName: 42, inactive: "yes" }] },
      status: 400,
      expected: requestError(
        "REQUEST_BODY_INVALID",
        "inputs[0].givenName: must be string or null; inputs[0].inactive: must be boolean or null",
        [
          { code: "REQUEST_BODY_INVALID", message: "must be string or null", field: "inputs[0].givenName" },
          { code: "REQUEST_BODY_INVALID", message: "must be boolean or null", field: "inputs[0].inactive" },
        ],
      ),
    },
    {
      title: "a missing idProperty and inputs are named",
      body: {},
      status: 400,
      expected: requestError(
        "REQUEST_BODY_INVALID",
        "idProperty: idProperty is required; inputs: inputs is required",
        [
          { code: "REQUEST_BODY_INVALID", message: "idProperty is required", field: "idProperty" },
          { code: "REQUEST_BODY_INVALID", message: "inputs is required", field: "inputs" },
        ],
      ),
    },
    {
      title: "__proto__ keys are refused",
      body: '{"idProperty":"external_id","inputs":[{"__proto__":{"admin":true}}]}',
      status: 400,
      expected: requestError(
        "REQUEST_FORBIDDEN_KEY",
        "The body has a forbidden key (__proto__ or constructor.prototype)",
      ),
    },
    {
      title: "an escaped __proto__ key is refused",
      body: '{"idProperty":"external_id","inputs":[{"\\u005f_proto__":{"admin":true}}]}',
      status: 400,
      expected: requestError(
        "REQUEST_FORBIDDEN_KEY",
        "The body has a forbidden key (__proto__ or constructor.prototype)",
      ),
    },
    {
      title: "constructor.prototype keys are refused",
      body: '{"idProperty":"external_id","inputs":[{"constructor":{"prototype":{"x":1}}}]}',
      status: 400,
      expected: requestError(
        "REQUEST_FORBIDDEN_KEY",
        "The body has a forbidden key (__proto__ or constructor.prototype)",
      ),
    },
    {
      title: "a bare constructor key is refused even where any key is allowed (identifier schemes)",
      body: '{"idProperty":"external_id","inputs":[{"identifiers":{"constructor":"x","external_id":"E"}}]}',
      status: 400,
      expected: requestError(
        "REQUEST_FORBIDDEN_KEY",
        "The body has a forbidden key at inputs[0].identifiers.constructor",
        [
          {
            code: "REQUEST_FORBIDDEN_KEY",
            field: "inputs[0].identifiers.constructor",
            message: "__proto__ and constructor are not allowed as keys",
          },
        ],
      ),
    },
    {
      title: "too many inputs",
      body: { idProperty: "external_id", inputs: Array.from({ length: 1001 }, () => ({})) },
      status: 400,
      expected: requestError(
        "REQUEST_TOO_MANY_RECORDS",
        "inputs has 1001 items; at most 1000 are allowed per batch",
      ),
    },
    {
      title: "an empty batch",
      body: { idProperty: "external_id", inputs: [] },
      status: 400,
      expected: requestError("REQUEST_EMPTY_BATCH", "inputs is empty"),
    },
    {
      title: "an unknown idProperty",
      body: { idProperty: "Bad Key!", inputs: [{}] },
      status: 400,
      expected: requestError(
        "REQUEST_BODY_INVALID",
        "idProperty 'Bad Key!' is not id, email, pi or an identifier scheme",
        [
          {
            code: "REQUEST_BODY_INVALID",
            message: "must be id, email, pi or a lower_snake identifier scheme",
            field: "idProperty",
          },
        ],
      ),
    },
    {
      title: "an unknown mode",
      body: { idProperty: "external_id", mode: "some", inputs: [{}] },
      status: 400,
      expected: requestError("REQUEST_BODY_INVALID", 'mode: must be "allOrNone" or "partial"', [
        { code: "REQUEST_BODY_INVALID", message: 'must be "allOrNone" or "partial"', field: "mode" },
      ]),
    },
    {
      title: "a missing match key",
      body: { idProperty: "external_id", inputs: [{ givenName: "A" }] },
      status: 422,
      expected: {
        ...requestError("BATCH_REJECTED", "1 of 1 inputs are invalid; nothing was written", [
          {
            code: "CONTACT_MATCH_KEY_MISSING",
            message: "The input has no external_id to match on",
            field: "inputs[0].identifiers.external_id",
            index: 0,
          },
        ]),
        results: [
          {
            index: 0,
            status: "error",
            errors: [
              {
                code: "CONTACT_MATCH_KEY_MISSING",
                message: "The input has no external_id to match on",
                field: "inputs[0].identifiers.external_id",
                index: 0,
              },
            ],
          },
        ],
      },
    },
    {
      title: "an empty body",
      body: "",
      status: 400,
      expected: requestError("REQUEST_JSON_INVALID", "The body is empty; a JSON document was expected"),
    },
  ])("$title → $status", async ({ body, status, expected }) => {
    const res = await upsert(body);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual(expected);
  });

  it("a body over the limit → 413", async () => {
    const res = await upsert({
      idProperty: "external_id",
      inputs: [nativeContact({ notes: undefined, photoBase64: "x".repeat(1024 * 1024) })],
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual(requestError("REQUEST_TOO_LARGE", "Request body is too large"));
  });

  it("an unsupported content type → 415", async () => {
    const res = await upsert("a,b", { "content-type": "text/csv" });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual(requestError("REQUEST_UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type"));
  });

  const missing = requestError("AUTH_MISSING", "Send Authorization: Bearer <token>");
  const invalid = requestError("AUTH_INVALID", "The token is unknown, revoked or expired");
  it.each([
    { title: "no token", headers: {}, expected: missing },
    {
      title: "a wrong token",
      headers: { authorization: "Bearer trb_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
      expected: invalid,
    },
    { title: "a token of no Tributary shape", headers: { authorization: "Bearer abc" }, expected: invalid },
    { title: "another scheme", headers: { authorization: "Basic Zm9vOmJhcg==" }, expected: missing },
  ])("auth: $title → 401", async ({ headers, expected }) => {
    for (const request of [
      { method: "GET" as const, url: "/api/v1/contacts" },
      { method: "GET" as const, url: "/api/v1/contacts/1" },
      { method: "POST" as const, url: "/api/v1/contacts/batch/upsert", payload: { idProperty: "id" } },
    ]) {
      const res = await t.app.inject({ ...request, headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(expected);
    }
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
    expect(res.json()).toEqual(
      requestError("AUTH_FORBIDDEN", "This operation needs one of the roles: admin, contacts:write"),
    );
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
    for (const url of [`/api/v1/contacts/${id}`, `/api/v1/contacts/${id}/history`]) {
      const res = await t.app.inject({ url, headers: auth });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(requestError("CONTACT_NOT_FOUND", `No contact ${id}`));
    }
    // Nor can it write to the contact by naming its id: that id is unknown in the other tenant.
    const write = await t.app.inject({
      method: "POST",
      url: "/api/v1/contacts/batch/upsert",
      headers: { ...auth, "content-type": "application/json" },
      payload: { idProperty: "id", inputs: [{ id, surname: "Hijacked" }] },
    });
    expect(write.statusCode).toBe(422);
    expect(write.json().error.details).toEqual([
      expect.objectContaining({ code: "CONTACT_ID_UNKNOWN", field: "inputs[0].id", index: 0 }),
    ]);
    const mine = await t.app.inject({
      url: `/api/v1/contacts/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(mine.json().surname).toBe("Isolated");
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
    // The same request serialised with its keys in another order, spaced out: still the same request.
    const [input] = body.inputs;
    const reordered = JSON.stringify(
      { inputs: [Object.fromEntries(Object.entries(input).reverse())], idProperty: body.idProperty },
      null,
      2,
    );
    const third = await upsert(reordered, key);
    expect(third.body).toBe(first.body);
    expect(third.headers["idempotent-replayed"]).toBe("true");
    const other = await upsert({ ...body, mode: "partial" }, key);
    expect(other.statusCode).toBe(422);
    expect(other.json()).toEqual(
      requestError(
        "IDEMPOTENCY_KEY_REUSED",
        `Idempotency-Key '${key["idempotency-key"]}' was first used with another request`,
      ),
    );
  });

  it("an Idempotency-Key replay writes nothing, even when the contact changed since", async () => {
    const input = nativeContact({ givenName: "Original" });
    const key = { "idempotency-key": `write-once-${Date.now()}` };
    const first = await upsert({ idProperty: "external_id", inputs: [input] }, key);
    const id = first.json().results[0].id;
    // Someone else changes the contact; replaying the first request must not put "Original" back.
    await upsert({ idProperty: "external_id", inputs: [{ ...input, givenName: "Changed" }] });
    const replay = await upsert({ idProperty: "external_id", inputs: [input] }, key);
    expect(replay.body).toBe(first.body);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    const got = await t.app.inject({
      url: `/api/v1/contacts/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(got.json().givenName).toBe("Changed");
    // Keys are per tenant: the same key from another tenant is a new request, not a replay of this one.
    const { createTenant } = await import("../src/store/tenants.js");
    const other = await createTenant(t.store.db, `Idempotency neighbour ${Date.now()}`);
    const fresh = await upsert(
      { idProperty: "external_id", inputs: [input] },
      key,
      await t.token(["contacts:write"], other.id),
    );
    expect(fresh.headers["idempotent-replayed"]).toBeUndefined();
    expect(fresh.json().results[0]).toMatchObject({ status: "created" });
    expect(fresh.json().results[0].id).not.toBe(id);
  });

  it("a bad date inside a collection is the input's error by its path; one item spelt two ways is one item", async () => {
    const bad = await upsert({
      idProperty: "external_id",
      inputs: [
        nativeContact(),
        nativeContact({ communications: [{ subject: "Fees", occurredAt: "not a date" }] }),
        nativeContact({ tasks: [{ actionDate: "2026-02-30" }] }),
      ],
    });
    // Before, PostgreSQL refused the batch's one statement for all children: a 400 naming no input.
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toMatchObject({
      code: "BATCH_REJECTED",
      message: "2 of 3 inputs are invalid; nothing was written",
    });
    expect(Object.keys(bad.json().error)).toEqual(["code", "message", "details"]);
    expect(bad.json().error.details).toEqual([
      {
        code: "CONTACT_DATE_INVALID",
        index: 1,
        field: "inputs[1].communications[0].occurredAt",
        message: "communications[0].occurredAt must be an ISO timestamp or epoch milliseconds",
      },
      {
        code: "CONTACT_DATE_INVALID",
        index: 2,
        field: "inputs[2].tasks[0].actionDate",
        message: "tasks[0].actionDate must be a date (YYYY-MM-DD)",
      },
    ]);

    const person = nativeContact();
    const spelt = (occurredAt: string, course: Record<string, unknown>) =>
      upsert({
        idProperty: "external_id",
        inputs: [
          {
            ...person,
            communications: [{ subject: "Fees", occurredAt }],
            activities: [{ kind: "Enquiry", courses: [course] }],
          },
        ],
      });
    const first = await spelt("2026-02-03T04:05:06Z", { preferenceNumber: 1, course: "BA" });
    expect(first.json().results[0].status).toBe("created");
    const again = await spelt("2026-02-03T15:05:06.000+11:00", {
      course: "BA",
      faculty: null,
      preferenceNumber: 1,
    });
    expect(again.json().results[0].status).toBe("unchanged");
    // Epoch milliseconds, as the schema's description and the error message offer: the same instant.
    const epoch = await spelt(Date.parse("2026-02-03T04:05:06Z") as unknown as string, {
      course: "BA",
      preferenceNumber: 1,
    });
    expect(epoch.json().results[0].status).toBe("unchanged");
    const read = await t.app.inject({
      url: `/api/v1/contacts/${first.json().results[0].id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(read.json()).toMatchObject({
      communications: [{ subject: "Fees", occurredAt: "2026-02-03T04:05:06.000Z" }],
      activities: [{ kind: "Enquiry", courses: [{ course: "BA", preferenceNumber: 1 }] }],
    });
    expect(read.json().activities).toHaveLength(1);
    expect(read.json().communications).toHaveLength(1);
  });

  it("inputs for one contact each get their own status: only the one whose items went in is updated", async () => {
    const person = nativeContact({ tags: [{ tag: "VIP" }] });
    await upsert({ idProperty: "external_id", inputs: [person] });
    const { identifiers } = person;
    const res = await upsert({
      idProperty: "external_id",
      inputs: [
        { identifiers, tags: [{ tag: "VIP" }] },
        { identifiers, notes: [{ content: "new" }], consents: [{ type: "sms", granted: true }] },
        { identifiers, tags: [{ tag: "VIP" }], notes: [{ content: "new" }] },
        { identifiers, consents: [{ type: "sms", granted: false }] },
      ],
    });
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual([
      "unchanged",
      "updated",
      "unchanged",
      "updated",
    ]);
    expect(res.json().summary).toEqual({ created: 0, updated: 2, unchanged: 2, error: 0 });
  });

  it("an input naming its contact's id needs no other key, whatever the idProperty", async () => {
    const created = await upsert({ idProperty: "external_id", inputs: [nativeContact({ email: null })] });
    const id = created.json().results[0].id;
    const byId = await upsert({ idProperty: "email", inputs: [{ id, givenName: "Named" }] });
    expect(byId.statusCode).toBe(200);
    expect(byId.json().results).toEqual([{ index: 0, status: "updated", id, errors: [] }]);
    const unknown = await upsert({
      idProperty: "email",
      mode: "partial",
      inputs: [{ id: 999_999_999, givenName: "X" }],
    });
    expect(unknown.json().results[0].errors).toMatchObject([{ code: "CONTACT_ID_UNKNOWN" }]);
    const neither = await upsert({ idProperty: "email", mode: "partial", inputs: [{ givenName: "X" }] });
    expect(neither.json().results[0].errors).toMatchObject([{ code: "CONTACT_MATCH_KEY_MISSING" }]);
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

  it("a list page carries the collections `include` names, each contact its own, as one contact's read has them", async () => {
    const surname = `Collected${Date.now()}`;
    const inputs = [
      nativeContact({
        surname,
        tags: [{ tag: "Zoo" }, { tag: "Alpha", taggedAt: "2026-03-01" }],
        notes: [{ content: "Called about fees" }],
      }),
      nativeContact({ surname }),
      nativeContact({ surname, consents: [{ type: "sms", granted: false }], tasks: [{ taskType: "Call" }] }),
    ];
    await upsert({ idProperty: "external_id", inputs });
    const auth = { authorization: `Bearer ${token}` };
    const list = async (query: string) =>
      t.app.inject({ url: `/api/v1/contacts?q=${surname}${query}`, headers: auth });

    const plain = (await list("")).json().data;
    expect(plain).toHaveLength(3);
    for (const contact of plain) expect(contact).not.toHaveProperty("tags");

    const tagged = (await list("&include=tags")).json().data;
    expect(tagged.map((c: { tags: unknown }) => c.tags)).toEqual([
      [
        { tag: "Alpha", taggedAt: "2026-03-01" },
        { tag: "Zoo", taggedAt: null },
      ],
      [],
      [],
    ]);
    expect(tagged[0]).not.toHaveProperty("notes");

    const all = (await list("&include=all")).json().data;
    for (const contact of all) {
      const one = await t.app.inject({ url: `/api/v1/contacts/${contact.id}`, headers: auth });
      expect(contact).toEqual(one.json());
    }
    expect(all[2]).toMatchObject({
      consents: [{ type: "sms", granted: false }],
      tasks: [{ taskType: "Call" }],
    });
    const two = (await list("&include=notes,consents")).json().data;
    expect(Object.keys(two[0]).filter((k) => ["tags", "consents", "notes", "tasks"].includes(k))).toEqual([
      "consents",
      "notes",
    ]);
    expect(two[0].notes).toMatchObject([{ content: "Called about fees" }]);

    const bad = await list("&include=tags,photos");
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message:
          "include: 'photos' is not a collection (all, tags, consents, activities, communications, notes, tasks)",
        details: [
          {
            code: "REQUEST_BODY_INVALID",
            field: "include",
            message:
              "include: 'photos' is not a collection (all, tags, consents, activities, communications, notes, tasks)",
          },
        ],
      },
    });
  });

  it("search finds a person by part of the email, by name in either order, not another's", async () => {
    const stamp = Date.now();
    const domain = `finder${stamp}.example.org`;
    await upsert({
      idProperty: "external_id",
      inputs: [
        nativeContact({ givenName: "Grace", surname: `Hopper${stamp}`, email: `grace@${domain}` }),
        nativeContact({ givenName: "Alan", surname: `Turing${stamp}`, email: `alan@${domain}` }),
      ],
    });
    const auth = { authorization: `Bearer ${token}` };
    const names = async (q: string) =>
      (await t.app.inject({ url: `/api/v1/contacts?q=${encodeURIComponent(q)}`, headers: auth }))
        .json()
        .data.map((c: { givenName: string }) => c.givenName)
        .sort();
    expect(await names(domain.toUpperCase())).toEqual(["Alan", "Grace"]);
    expect(await names(`grace@${domain}`)).toEqual(["Grace"]);
    expect(await names(`Hopper${stamp} Grace`)).toEqual(["Grace"]);
    expect(await names(`grace hopper${stamp}`)).toEqual(["Grace"]);
    // LIKE's wildcards in a query are literal characters.
    expect(await names(`%${stamp}`)).toEqual([]);
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
    // The kind in the path must be the row's: a country URL does not rename a heat status.
    const wrongKind = await t.app.inject({
      method: "PATCH",
      url: `/api/v1/reference/country/${id}`,
      headers: admin,
      payload: { name: "Atlantis" },
    });
    expect(wrongKind.statusCode).toBe(404);
    expect(wrongKind.json()).toEqual({ error: { code: "REFERENCE_NOT_FOUND", message: `No country ${id}` } });
    await t.app.inject({
      method: "PATCH",
      url: `/api/v1/reference/heat-status/${id}`,
      headers: admin,
      payload: { active: false },
    });
    const heat = (
      await t.app.inject({ url: "/api/v1/reference/heat-status?includeInactive=true", headers: admin })
    )
      .json()
      .data.find((r: { id: number }) => r.id === id);
    expect(heat).toMatchObject({ name: "Scorching", active: false });
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
    "/api/v1/contacts/99999999999999999999",
    "/api/v1/contacts/9223372036854775807/history",
    "/api/v1/contacts/9007199254740993/photo",
  ])(
    "reads: %s, an id beyond any stored one, is an unknown contact (404), never a database error",
    async (url) => {
      const res = await t.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(404);
      const id = url.split("/")[4];
      expect(res.json().error).toEqual({ code: "CONTACT_NOT_FOUND", message: `No contact ${id}` });
    },
  );

  it("reads: a NUL character in a search → 400, never a 5xx", async () => {
    const res = await t.app.inject({
      url: "/api/v1/contacts?q=%00",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("REQUEST_BODY_INVALID");
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

  const get = (url: string, auth = token) =>
    t.app.inject({ url, headers: { authorization: `Bearer ${auth}` } });

  it.each([
    { idProperty: "id", probe: (_c: Record<string, unknown>, id: number) => ({ id, phoneHome: "1" }) },
    {
      idProperty: "email",
      probe: (c: Record<string, unknown>) => ({
        email: ` ${String(c.email).toUpperCase()} `,
        phoneHome: "1",
      }),
    },
    {
      idProperty: "pi",
      probe: (c: Record<string, unknown>) => ({
        email: c.email,
        givenName: " ADA ",
        surname: String(c.surname).toLowerCase(),
        dateOfBirth: "1980-01-01",
        phoneHome: "1",
      }),
    },
    {
      idProperty: "crm_number",
      probe: (c: Record<string, unknown>) => ({
        identifiers: { crm_number: (c.identifiers as Record<string, string>).crm_number },
        phoneHome: "1",
      }),
    },
  ])("idProperty $idProperty matches the stored contact", async ({ idProperty, probe }) => {
    const c = nativeContact({
      dateOfBirth: "1980-01-01",
      identifiers: {
        external_id: `PI-${idProperty}-${Date.now()}`,
        crm_number: `CRM-${idProperty}-${Date.now()}`,
      },
    });
    const created = (await upsert({ idProperty: "external_id", inputs: [c] })).json().results[0];
    const res = await upsert({ idProperty, inputs: [probe(c, created.id)] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      results: [{ index: 0, status: "updated", id: created.id, errors: [] }],
      summary: { created: 0, updated: 1, unchanged: 0, error: 0 },
    });
    expect((await get(`/api/v1/contacts/${created.id}`)).json()).toMatchObject({
      phoneHome: "1",
      identifiers: c.identifiers,
    });
  });

  it("idProperty id: an unknown id is that input's error", async () => {
    const res = await upsert({
      idProperty: "id",
      mode: "partial",
      inputs: [{ id: 987_654_321, surname: "X" }],
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().results).toEqual([
      {
        index: 0,
        status: "error",
        errors: [expect.objectContaining({ code: "CONTACT_ID_UNKNOWN", field: "inputs[0].id", index: 0 })],
      },
    ]);
  });

  it("two inputs for one contact in one batch are applied in order", async () => {
    const first = nativeContact({ surname: "First", phoneHome: "1" });
    const res = await upsert({
      idProperty: "external_id",
      inputs: [
        first,
        { identifiers: first.identifiers, surname: "Second" },
        { identifiers: first.identifiers, surname: "Third" },
      ],
    });
    expect(res.statusCode).toBe(200);
    const [a, b, c] = res.json().results;
    expect([a.status, b.status, c.status]).toEqual(["created", "updated", "updated"]);
    expect(new Set([a.id, b.id, c.id]).size).toBe(1);
    expect((await get(`/api/v1/contacts/${a.id}`)).json()).toMatchObject({
      surname: "Third",
      phoneHome: "1",
    });
  });

  it("takes exactly 1,000 inputs, answering one result per input in input order", async () => {
    const inputs = Array.from({ length: 1000 }, () => nativeContact());
    const res = await upsert({ idProperty: "external_id", inputs });
    expect(res.statusCode).toBe(200);
    const { results, summary } = res.json();
    expect(summary).toEqual({ created: 1000, updated: 0, unchanged: 0, error: 0 });
    expect(results.map((r: { index: number }) => r.index)).toEqual(inputs.map((_, i) => i));
    const last = (await get(`/api/v1/contacts/${results[999].id}`)).json();
    expect(last.identifiers).toEqual(inputs[999].identifiers);
  });

  it("GET /contacts/:id answers every field, identifiers and every child collection", async () => {
    const input = nativeContact({
      identifiers: { external_id: `FULL-${Date.now()}`, regent_id: "77" },
      tags: [{ tag: "Open Day", taggedAt: "2026-03-01" }],
      consents: [{ type: "email", granted: false }],
      activities: [
        { kind: "Enquiry", courses: [{ preferenceNumber: 1, course: "BA History", campus: "North" }] },
      ],
      communications: [{ incoming: true, subject: "Hello", labels: ["a", "b"] }],
      notes: [{ content: "Met at the fair", noteType: "General" }],
      tasks: [{ taskType: "Call", description: "Ring back", actionDate: "2026-04-01" }],
    });
    const id = (await upsert({ idProperty: "external_id", inputs: [input] })).json().results[0].id;
    const got = await get(`/api/v1/contacts/${id}`);
    expect(got.statusCode).toBe(200);
    const body = got.json();
    expect(body).toMatchObject({
      id,
      identifiers: input.identifiers,
      givenName: "Ada",
      email: input.email,
      tags: [{ tag: "Open Day", taggedAt: "2026-03-01" }],
      consents: [{ type: "email", granted: false }],
      activities: [
        {
          kind: "Enquiry",
          courses: [expect.objectContaining({ preferenceNumber: 1, course: "BA History" })],
        },
      ],
      communications: [expect.objectContaining({ incoming: true, subject: "Hello", labels: ["a", "b"] })],
      notes: [expect.objectContaining({ content: "Met at the fair", noteType: "General" })],
      tasks: [
        expect.objectContaining({ taskType: "Call", description: "Ring back", actionDate: "2026-04-01" }),
      ],
    });
    const { contactFields } = await import("../src/core/contact-fields.js");
    for (const f of contactFields) expect(body).toHaveProperty(f.name);
    for (const key of ["createdAt", "modifiedAt", "createdBy", "modifiedBy"])
      expect(body).toHaveProperty(key);
  });

  it("the OpenAPI document is generated from the route schemas", async () => {
    const doc = (await t.app.inject({ url: "/api/v1/openapi.json" })).json();
    expect(Object.keys(doc.paths).sort()).toEqual(
      expect.arrayContaining([
        "/api/v1/contacts",
        "/api/v1/contacts/batch/upsert",
        "/api/v1/contacts/{id}",
        "/api/v1/contacts/{id}/history",
        "/api/v1/reference/{kind}",
      ]),
    );
    // Only the native API is described; vendor routes follow their vendors' own references.
    expect(Object.keys(doc.paths).every((p) => p.startsWith("/api/v1/"))).toBe(true);
    const upsertOp = doc.paths["/api/v1/contacts/batch/upsert"].post;
    const body = upsertOp.requestBody.content["application/json"].schema;
    expect(body.required).toEqual(["idProperty", "inputs"]);
    expect(body.additionalProperties).toBe(false);
    const { contactFields } = await import("../src/core/contact-fields.js");
    const inputProps = Object.keys(body.properties.inputs.items.properties);
    for (const f of contactFields) expect(inputProps).toContain(f.name);
    expect(Object.keys(upsertOp.responses)).toEqual(
      expect.arrayContaining(["200", "207", "400", "401", "422"]),
    );
    expect(doc.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer" });
    const page = await t.app.inject({ url: "/docs" });
    expect([200, 302]).toContain(page.statusCode);
    expect((await t.app.inject({ url: "/docs/" })).headers["content-type"]).toMatch(/text\/html/);
  });

  it("unknown routes answer 404 in the native shape", async () => {
    const res = await t.app.inject({ url: "/api/v1/nope" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("REQUEST_NOT_FOUND");
  });
});
