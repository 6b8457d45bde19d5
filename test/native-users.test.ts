import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../src/store/tenants.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

describe.each(testEngines)("user API on %s", (engine) => {
  let t: TestApp;
  let admin: string;
  const call = (method: "GET" | "POST", auth: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: "/api/v1/users",
      headers: {
        authorization: `Bearer ${auth}`,
        ...(payload ? { "content-type": "application/json" } : {}),
      },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
  const hobsonsLogin = (username: string, password: string) =>
    t.app.inject({
      method: "POST",
      url: "/api/token",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: `grant_type=password&username=${encodeURIComponent(username)}&password=${encodeURIComponent(password)}`,
    });

  beforeAll(async () => {
    t = await openTestApp(engine, `users_${engine}`);
    admin = await t.token(["admin"]);
  });
  afterAll(() => t.close());

  it("an admin creates a user who can then log in through a vendor dialect; the list holds no password", async () => {
    const created = await call("POST", admin, {
      username: "integration@college.edu",
      roles: ["HobsonsApiUser"],
      password: "correct horse",
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      id: expect.any(Number),
      username: "integration@college.edu",
      email: "integration@college.edu",
      roles: ["HobsonsApiUser"],
      hasPassword: true,
    });
    const login = await hobsonsLogin("integration@college.edu", "correct horse");
    expect(login.statusCode).toBe(200);
    expect(login.json()).toMatchObject({ token_type: "bearer" });
    expect((await hobsonsLogin("integration@college.edu", "wrong horse")).statusCode).toBe(400);

    const listed = await call("GET", admin);
    expect(listed.json().data).toEqual([
      {
        id: created.json().id,
        username: "integration@college.edu",
        email: "integration@college.edu",
        roles: ["HobsonsApiUser"],
        hasPassword: true,
        disabled: false,
        createdAt: expect.any(String),
      },
    ]);
    expect(listed.body).not.toContain("correct horse");
    expect(listed.body).not.toContain("scrypt");

    const again = await call("POST", admin, { username: "Integration@College.edu", roles: ["admin"] });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({
      error: { code: "USER_NAME_TAKEN", message: "A user named 'Integration@College.edu' exists already" },
    });
  });

  it.each([
    {
      title: "a short password",
      body: { username: "u1", roles: ["admin"], password: "short" },
      field: "password",
      message: "must NOT have fewer than 8 characters",
    },
    {
      title: "no roles",
      body: { username: "u2", roles: [] },
      field: "roles",
      message: "must NOT have fewer than 1 items",
    },
    {
      title: "an email without @",
      body: { username: "u3", roles: ["admin"], email: "nope" },
      field: "email",
      message: 'must match pattern "^[^\\s@]+@[^\\s@]+$"',
    },
    {
      title: "an unknown field",
      body: { username: "u4", roles: ["admin"], tenant: "x" },
      field: "tenant",
      message: "Unknown field 'tenant'",
      code: "REQUEST_UNKNOWN_FIELD",
    },
  ])(
    "refuses $title with a 400 naming the field",
    async ({ body, field, message, code = "REQUEST_BODY_INVALID" }) => {
      const res = await call("POST", admin, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: { code, message: `${field}: ${message}`, details: [{ code, field, message }] },
      });
    },
  );

  it("needs the admin role, and an admin sees only its own tenant's users", async () => {
    const writer = await t.token(["contacts:write"]);
    expect((await call("GET", writer)).statusCode).toBe(403);
    expect((await call("POST", writer, { username: "w", roles: ["admin"] })).statusCode).toBe(403);
    const other = await createTenant(t.store.db, `Other ${engine}`);
    const otherAdmin = await t.token(["admin"], other.id);
    expect((await call("GET", otherAdmin)).json()).toEqual({ data: [] });
    // The same user name in another tenant is another user.
    expect(
      (await call("POST", otherAdmin, { username: "integration@college.edu", roles: ["admin"] })).statusCode,
    ).toBe(201);
  });
});
