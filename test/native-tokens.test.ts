import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/auth/password-hash.js";
import { createTenant } from "../src/store/tenants.js";
import { createUser } from "../src/store/users.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

describe.each(testEngines)("token API on %s", (engine) => {
  let t: TestApp;
  let admin: string;
  const call = (method: "GET" | "POST" | "DELETE", url: string, auth: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1/tokens${url}`,
      headers: {
        authorization: `Bearer ${auth}`,
        ...(payload ? { "content-type": "application/json" } : {}),
      },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
  const searchWith = (token: string) =>
    t.app.inject({ url: "/api/v1/contacts?q=x", headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await openTestApp(engine, `tokens_${engine}`);
    admin = await t.token(["admin"]);
  });
  afterAll(() => t.close());

  it("an admin creates a token shown once, lists it without its secret, and revokes it", async () => {
    const created = await call("POST", "", admin, {
      roles: ["contacts:read", "contacts:read"],
      expiresInDays: 30,
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toEqual({
      id: expect.any(Number),
      token: expect.stringMatching(/^\S{40,}$/),
      kind: "api",
      roles: ["contacts:read"],
      user: null,
      expiresAt: expect.any(String),
    });
    const days = (Date.parse(body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    expect((await searchWith(body.token)).statusCode).toBe(200);
    const write = await t.app.inject({
      method: "POST",
      url: "/api/v1/contacts/batch/upsert",
      headers: { authorization: `Bearer ${body.token}`, "content-type": "application/json" },
      payload: JSON.stringify({ idProperty: "email", inputs: [{ email: "a@example.org" }] }),
    });
    expect(write.statusCode).toBe(403);

    const listed = (await call("GET", "", admin)).json().data;
    const entry = listed.find((r: { id: number }) => r.id === body.id);
    expect(entry).toEqual({
      id: body.id,
      kind: "api",
      roles: ["contacts:read"],
      user: null,
      state: "live",
      createdAt: expect.any(String),
      expiresAt: body.expiresAt,
      lastUsedAt: expect.any(String),
      revokedAt: null,
    });
    expect(JSON.stringify(listed)).not.toContain(body.token);

    const revoked = await call("DELETE", `/${body.id}`, admin);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toEqual({ id: body.id, state: "revoked" });
    expect((await searchWith(body.token)).statusCode).toBe(401);
    const again = await call("DELETE", `/${body.id}`, admin);
    expect(again.statusCode).toBe(404);
    expect(again.json()).toEqual({
      error: { code: "REQUEST_NOT_FOUND", message: `No live token ${body.id}` },
    });
    const after = (await call("GET", "", admin)).json().data;
    expect(after.find((r: { id: number }) => r.id === body.id)).toMatchObject({ state: "revoked" });
  });

  it("a token for a user of the tenant; an unknown user is a 400 naming the field", async () => {
    await createUser(t.store.db, {
      tenantId: t.tenant.id,
      username: "ada",
      roles: ["contacts:write"],
      passwordHash: await hashPassword("correct horse battery"),
    });
    const created = await call("POST", "", admin, { roles: ["contacts:write"], user: "ada" });
    expect(created.json()).toMatchObject({ user: "ada" });
    const listed = (await call("GET", "", admin)).json().data;
    expect(listed.find((r: { id: number }) => r.id === created.json().id)).toMatchObject({ user: "ada" });
    const unknown = await call("POST", "", admin, { roles: ["contacts:write"], user: "grace" });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message: "No user 'grace' in this tenant",
        details: [{ code: "REQUEST_BODY_INVALID", field: "user", message: "unknown user" }],
      },
    });
  });

  it.each([
    { title: "no roles", body: { roles: [] }, field: "roles", message: "must NOT have fewer than 1 items" },
    {
      title: "a role with a space",
      body: { roles: ["contacts write"] },
      field: "roles[0]",
      message: 'must match pattern "^\\S+$"',
    },
    {
      title: "an expiry of zero days",
      body: { roles: ["admin"], expiresInDays: 0 },
      field: "expiresInDays",
      message: "must be > 0",
    },
    {
      title: "an unknown field",
      body: { roles: ["admin"], tenant: "Other" },
      field: "tenant",
      message: "Unknown field 'tenant'",
      code: "REQUEST_UNKNOWN_FIELD",
    },
  ])(
    "refuses $title with a 400 naming the field",
    async ({ body, field, message, code = "REQUEST_BODY_INVALID" }) => {
      const res = await call("POST", "", admin, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: { code, message: `${field}: ${message}`, details: [{ code, field, message }] },
      });
    },
  );

  it("needs the admin role, and an admin sees and revokes only its own tenant's tokens", async () => {
    const writer = await t.token(["contacts:write"]);
    for (const [method, url] of [
      ["GET", ""],
      ["POST", ""],
      ["DELETE", "/1"],
    ] as const) {
      const res = await call(method, url, writer, method === "POST" ? { roles: ["admin"] } : undefined);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("AUTH_FORBIDDEN");
    }
    expect((await call("GET", "", "not-a-token")).statusCode).toBe(401);

    const other = await createTenant(t.store.db, `Other ${engine}`);
    const otherAdmin = await t.token(["admin"], other.id);
    const mine = (await call("POST", "", admin, { roles: ["contacts:read"] })).json();
    const theirs = (await call("GET", "", otherAdmin)).json().data;
    expect(theirs.map((r: { id: number }) => r.id)).not.toContain(mine.id);
    const res = await call("DELETE", `/${mine.id}`, otherAdmin);
    expect(res.statusCode).toBe(404);
    expect((await searchWith(mine.token)).statusCode).toBe(200);
  });
});
