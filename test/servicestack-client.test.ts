import { type IReturn, JsonServiceClient } from "@servicestack/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ssContact, ssUser } from "./helpers/servicestack-fixtures.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

// The DTOs as ServiceStack's "Add ServiceStack Reference" generates them for TypeScript clients.
class AuthenticateResponse {
  userId?: string;
  sessionId?: string;
  userName?: string;
  bearerToken?: string;
  roles?: string[];
}
class Authenticate implements IReturn<AuthenticateResponse> {
  provider?: string;
  userName?: string;
  password?: string;
  rememberMe?: boolean;
  constructor(init?: Partial<Authenticate>) {
    Object.assign(this, init);
  }
  getTypeName() {
    return "Authenticate";
  }
  getMethod() {
    return "POST";
  }
  createResponse() {
    return new AuthenticateResponse();
  }
}
class UpsertMultipleResponse {
  errors?: unknown[];
  meta?: Record<string, string>;
}
class CRMContactUpsertMultipleRequest implements IReturn<UpsertMultipleResponse> {
  contacts?: Record<string, unknown>[];
  constructor(init?: Partial<CRMContactUpsertMultipleRequest>) {
    Object.assign(this, init);
  }
  getTypeName() {
    return "CRMContactUpsertMultipleRequest";
  }
  getMethod() {
    return "POST";
  }
  createResponse() {
    return new UpsertMultipleResponse();
  }
}

describe.each(testEngines)("@servicestack/client against a listening server on %s", (engine) => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await openTestApp(engine, "ss_client");
    const address = await t.app.listen({ port: 0, host: "127.0.0.1" });
    baseUrl = address;
  });
  afterAll(() => t.close());

  it("signs in with the session cookies and upserts through /api/<Dto>", async () => {
    const user = await ssUser(t);
    const client = new JsonServiceClient(baseUrl);
    const auth = await client.post(
      new Authenticate({ provider: "credentials", userName: user.username, password: user.password }),
    );
    expect(auth.userName).toBe(user.username);
    expect(Object.keys(client.cookies)).toEqual(expect.arrayContaining(["ss-id", "ss-pid", "ss-opt"]));

    const contact = ssContact({ dob: new Date(Date.UTC(1985, 2, 4)) });
    const answer = await client.post(new CRMContactUpsertMultipleRequest({ contacts: [contact] }));
    expect(answer.errors).toEqual([]);
    expect(answer.meta).toMatchObject({ created: "1", updated: "0" });
    const read = await t.app.inject({
      url: `/api/v1/contacts/${answer.meta?.ids}`,
      headers: { authorization: `Bearer ${await t.token(["contacts:read"])}` },
    });
    expect(read.json()).toMatchObject({
      givenName: "Ada",
      surname: contact.last_name,
      dateOfBirth: "1985-03-04",
    });
  });

  it("uses the bearerToken and reads ResponseStatus errors as the client expects them", async () => {
    const user = await ssUser(t);
    const client = new JsonServiceClient(baseUrl);
    const auth = await client.post(
      new Authenticate({ provider: "credentials", userName: user.username, password: user.password }),
    );
    const bearer = new JsonServiceClient(baseUrl);
    bearer.bearerToken = auth.bearerToken as string;
    const error = await bearer
      .post(new CRMContactUpsertMultipleRequest({ contacts: [ssContact({ email: "not-an-email" })] }))
      .then(
        () => undefined,
        (e: { responseStatus?: unknown }) => e,
      );
    expect(error?.responseStatus).toEqual({
      errorCode: "Email",
      message: "email 'not-an-email' is not an email address",
      errors: [
        {
          errorCode: "Email",
          fieldName: "contacts[0].email",
          message: "email 'not-an-email' is not an email address",
        },
      ],
    });
  });

  it("without credentials the client sees 401 Not Authenticated", async () => {
    const client = new JsonServiceClient(baseUrl);
    const error = await client.post(new CRMContactUpsertMultipleRequest({ contacts: [] })).then(
      () => undefined,
      (e: { responseStatus?: { errorCode: string; message: string } }) => e,
    );
    expect(error?.responseStatus).toMatchObject({ errorCode: "Unauthorized", message: "Not Authenticated" });
  });
});
