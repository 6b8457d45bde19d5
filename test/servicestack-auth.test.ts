import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsv } from "../src/formats/jsv/index.js";
import { issueToken } from "../src/store/api-tokens.js";
import { createTenant } from "../src/store/tenants.js";
import { ssContact, ssUser } from "./helpers/servicestack-fixtures.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

const upsertUrl = "/DynamicsCRM/Contact/Upsert/Multiple";
const notAuthenticated = {
  responseStatus: { errorCode: "Unauthorized", message: "Not Authenticated", errors: [] },
};
const invalidRole = { responseStatus: { errorCode: "Forbidden", message: "Invalid Role", errors: [] } };

/** `name=value` pairs of Set-Cookie headers. */
function cookiesOf(setCookie: string | string[] | undefined): Record<string, string> {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return Object.fromEntries(list.map((c) => c.split(";")[0].split("=") as [string, string]));
}

describe.each(testEngines)("ServiceStack auth on %s", (engine) => {
  let t: TestApp;
  const json = { "content-type": "application/json" };
  const signIn = (body: Record<string, unknown>, url = "/auth/credentials") =>
    t.app.inject({ method: "POST", url, headers: json, payload: JSON.stringify(body) });
  const upsert = (headers: Record<string, string>, url = upsertUrl) =>
    t.app.inject({
      method: "POST",
      url,
      headers: { ...json, ...headers },
      payload: JSON.stringify({ contacts: [ssContact()] }),
    });

  beforeAll(async () => {
    t = await openTestApp(engine, "ss_auth");
  });
  afterAll(() => t.close());

  it("signs in with credentials: AuthenticateResponse, ss-id/ss-pid cookies, temp session", async () => {
    const user = await ssUser(t);
    const res = await signIn({ provider: "credentials", userName: user.username, password: user.password });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      userId: String(user.id),
      sessionId: expect.any(String),
      userName: user.username,
      displayName: user.username,
      bearerToken: body.sessionId,
      roles: ["REGISUserRole"],
      permissions: [],
    });
    const cookies = cookiesOf(res.headers["set-cookie"]);
    expect(cookies).toEqual({ "ss-id": body.sessionId, "ss-pid": body.sessionId, "ss-opt": "temp" });
    expect(String(res.headers["set-cookie"])).not.toMatch(/Expires=/i);
    expect((await upsert({ cookie: `ss-id=${body.sessionId}` })).statusCode).toBe(200);
    expect((await upsert({ authorization: `Bearer ${body.bearerToken}` })).statusCode).toBe(200);
  });

  it("rememberMe sets ss-opt=perm and lasting cookies; ss-pid is read first then", async () => {
    const user = await ssUser(t);
    const res = await signIn({ userName: user.username, password: user.password, rememberMe: true }, "/auth");
    expect(res.statusCode).toBe(200);
    const setCookie = res.headers["set-cookie"] as string[];
    expect(cookiesOf(setCookie)["ss-opt"]).toBe("perm");
    expect(setCookie.find((c) => c.startsWith("ss-pid="))).toMatch(/Max-Age=1209600/);
    const token = res.json().bearerToken;
    expect((await upsert({ cookie: `ss-opt=perm; ss-id=stale; ss-pid=${token}` })).statusCode).toBe(200);
  });

  it.each([
    { url: "/auth", format: "json" },
    { url: "/auth/credentials.json", format: "json" },
    { url: "/auth.json", format: "json" },
    { url: "/json/reply/Authenticate", format: "json" },
    { url: "/api/Authenticate", format: "json" },
    { url: "/api/authenticate.json", format: "json" },
    { url: "/auth/credentials.jsv", format: "jsv" },
    { url: "/auth.jsv", format: "jsv" },
    { url: "/jsv/reply/Authenticate", format: "jsv" },
    { url: "/api/Authenticate.jsv", format: "jsv" },
  ])("$url signs in too, answering $format", async ({ url, format }) => {
    const user = await ssUser(t);
    const res = await signIn(
      { provider: "credentials", userName: user.username, password: user.password },
      url,
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe(
      format === "jsv" ? "text/jsv; charset=utf-8" : "application/json; charset=utf-8",
    );
    const body = format === "jsv" ? parseJsv(res.body) : res.json();
    expect(body).toMatchObject({
      userId: String(user.id),
      userName: user.username,
      roles: ["REGISUserRole"],
    });
    expect(cookiesOf(res.headers["set-cookie"])).toMatchObject({
      "ss-id": expect.any(String),
      "ss-opt": "temp",
    });
  });

  it("signs in from a form, and by email", async () => {
    const user = await ssUser(t, { email: "form.user@example.org" });
    const res = await t.app.inject({
      method: "POST",
      url: "/auth/credentials",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ UserName: "Form.User@example.org", Password: user.password }).toString(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().userId).toBe(String(user.id));
  });

  it("a user name in two tenants must be written tenant\\user", async () => {
    const other = await createTenant(t.store.db, `Other ${engine}`);
    const here = await ssUser(t, { username: "shared.name", password: "same-password" });
    await ssUser(t, { username: "shared.name", password: "same-password", tenantId: other.id });
    const ambiguous = await signIn({ userName: "shared.name", password: "same-password" });
    expect(ambiguous.statusCode).toBe(401);
    expect(ambiguous.json().responseStatus).toEqual({
      errorCode: "Unauthorized",
      message: "UserName 'shared.name' names more than one user; write it as tenant\\user",
      errors: [],
    });
    const qualified = await signIn({ userName: `${t.tenant.name}\\shared.name`, password: "same-password" });
    expect(qualified.statusCode).toBe(200);
    expect(qualified.json().userId).toBe(String(here.id));
  });

  it.each([
    {
      title: "a wrong password",
      body: { userName: "regis-nobody", password: "x" },
      status: 401,
      errorCode: "Unauthorized",
      message: "Invalid UserName or Password",
      errors: [],
    },
    {
      title: "no user name or password",
      body: { provider: "credentials" },
      status: 400,
      errorCode: "NotEmpty",
      message: "'User Name' must not be empty.",
      errors: [
        { errorCode: "NotEmpty", fieldName: "UserName", message: "'User Name' must not be empty." },
        { errorCode: "NotEmpty", fieldName: "Password", message: "'Password' must not be empty." },
      ],
    },
    {
      title: "an unknown provider",
      body: { provider: "facebook", userName: "a", password: "b" },
      status: 404,
      errorCode: "NotFound",
      message: "No configuration was added for OAuth provider 'facebook'",
      errors: [],
    },
  ])("$title → $status ResponseStatus", async ({ body, status, errorCode, message, errors }) => {
    const res = await signIn(body, "/auth");
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ responseStatus: { errorCode, message, errors } });
  });

  it("locks an account after five failed sign-ins", async () => {
    const user = await ssUser(t);
    for (let i = 0; i < 5; i += 1) await signIn({ userName: user.username, password: "wrong" });
    const res = await signIn({ userName: user.username, password: user.password });
    expect(res.statusCode).toBe(401);
    expect(res.json().responseStatus.message).toBe("This account has been locked");
  });

  it("takes an API key as Bearer, as the Basic user name, or as ?apikey=", async () => {
    const key = await t.token(["REGISUserRole"]);
    expect((await upsert({ authorization: `Bearer ${key}` })).statusCode).toBe(200);
    const basic = Buffer.from(`${key}:`).toString("base64");
    expect((await upsert({ authorization: `Basic ${basic}` })).statusCode).toBe(200);
    expect((await upsert({}, `${upsertUrl}?apikey=${encodeURIComponent(key)}`)).statusCode).toBe(200);
  });

  it.each<{ title: string; headers: Record<string, string>; url: string; message?: string }>([
    { title: "an unknown API key as Bearer", headers: { authorization: "Bearer nope" }, url: upsertUrl },
    {
      title: "an unknown API key as the Basic user name",
      headers: { authorization: `Basic ${Buffer.from("nope:").toString("base64")}` },
      url: upsertUrl,
    },
    {
      title: "a wrong Basic password",
      headers: { authorization: `Basic ${Buffer.from("regis-nobody:wrong").toString("base64")}` },
      url: upsertUrl,
      message: "Invalid UserName or Password",
    },
    { title: "an unknown ?apikey=", headers: {}, url: `${upsertUrl}?apikey=nope` },
    { title: "a cookie holding no session", headers: { cookie: "ss-id=nope; ss-pid=nope" }, url: upsertUrl },
  ])("$title → 401 ResponseStatus", async ({ headers, url, message }) => {
    const res = await upsert(headers, url);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      responseStatus: { errorCode: "Unauthorized", message: message ?? "Not Authenticated", errors: [] },
    });
  });

  it("takes Basic user name and password", async () => {
    const user = await ssUser(t);
    const basic = Buffer.from(`${user.username}:${user.password}`).toString("base64");
    expect((await upsert({ authorization: `Basic ${basic}` })).statusCode).toBe(200);
  });

  it("tolerates junk cookie pairs such as ServiceStack's Node client sends", async () => {
    const user = await ssUser(t);
    const token = (await signIn({ userName: user.username, password: user.password })).json().bearerToken;
    const cookie = `ss-opt=temp; 01 Jan 2037 00:00:00 GMT=null; =; garbage; ss-id=${encodeURIComponent(token)}; ss-pid=${token}`;
    expect((await upsert({ cookie })).statusCode).toBe(200);
  });

  it("no credentials → 401 Not Authenticated; bad ones too; no role → 403 Invalid Role", async () => {
    const none = await upsert({});
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual(notAuthenticated);
    const bad = await upsert({ authorization: "Bearer not-a-token" });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toEqual(notAuthenticated);
    const roleless = await ssUser(t, { roles: ["contacts:read"] });
    const session = (await signIn({ userName: roleless.username, password: roleless.password })).json();
    const forbidden = await upsert({ cookie: `ss-id=${session.bearerToken}` });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toEqual(invalidRole);
  });

  it("refuses another dialect's session tokens", async () => {
    const { token } = await issueToken(t.store.db, {
      tenantId: t.tenant.id,
      roles: ["REGISUserRole"],
      kind: "sam-session",
    });
    expect((await upsert({ authorization: `Bearer ${token}` })).statusCode).toBe(401);
  });

  it("GET /auth answers the current session; /auth/logout ends it and clears the cookies", async () => {
    const user = await ssUser(t);
    const token = (await signIn({ userName: user.username, password: user.password })).json().bearerToken;
    const cookie = `ss-id=${token}`;
    const current = await t.app.inject({ method: "GET", url: "/auth", headers: { cookie } });
    expect(current.json()).toEqual({ userId: String(user.id), roles: ["REGISUserRole"], permissions: [] });
    const out = await t.app.inject({ method: "POST", url: "/auth/logout", headers: { cookie } });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toEqual({});
    expect(out.headers["set-cookie"]).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ss-id=;.*Max-Age=0/)]),
    );
    expect((await upsert({ cookie })).statusCode).toBe(401);
    const anonymous = await t.app.inject({ method: "GET", url: "/auth" });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual(notAuthenticated);
  });

  it("logout by bearerToken, or by provider logout on /auth, ends that session only", async () => {
    const user = await ssUser(t);
    const first = (await signIn({ userName: user.username, password: user.password })).json().bearerToken;
    const second = (await signIn({ userName: user.username, password: user.password })).json().bearerToken;
    const out = await t.app.inject({
      method: "POST",
      url: "/auth/logout",
      headers: { authorization: `Bearer ${first}` },
    });
    expect(out.statusCode).toBe(200);
    expect((await upsert({ authorization: `Bearer ${first}` })).statusCode).toBe(401);
    expect((await upsert({ authorization: `Bearer ${second}` })).statusCode).toBe(200);
    const viaProvider = await t.app.inject({
      method: "POST",
      url: "/auth",
      headers: { ...json, cookie: `ss-id=${second}` },
      payload: JSON.stringify({ provider: "logout" }),
    });
    expect(viaProvider.statusCode).toBe(200);
    expect(viaProvider.json()).toEqual({});
    expect((await upsert({ authorization: `Bearer ${second}` })).json()).toEqual(notAuthenticated);
  });

  it("logout with an API key leaves the key valid", async () => {
    const key = await t.token(["REGISUserRole"]);
    const out = await t.app.inject({
      method: "GET",
      url: "/auth/logout",
      headers: { authorization: `Bearer ${key}` },
    });
    expect(out.statusCode).toBe(200);
    expect((await upsert({ authorization: `Bearer ${key}` })).statusCode).toBe(200);
  });
});
