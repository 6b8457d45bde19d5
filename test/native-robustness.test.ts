import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contactFields } from "../src/core/contact-fields.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

// Point 5 of the foundation issue: no client input may produce a 5xx, and a 5xx body never carries a
// stack trace or the database's words.
describe.each(testEngines)("native API robustness on %s", (engine) => {
  let t: TestApp;
  let token: string;
  const post = (payload: string) =>
    t.app.inject({
      method: "POST",
      url: "/api/v1/contacts/batch/upsert",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      payload,
    });

  beforeAll(async () => {
    t = await openTestApp(engine, "robust");
    token = await t.token();
  });
  afterAll(() => t.close());

  const fieldName = fc.constantFrom(
    ...contactFields.map((f) => f.name),
    "id",
    "identifiers",
    "tags",
    "consents",
    "activities",
    "notes",
    "heatStatusReason",
  );
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom("1900-13-45", "0001-01-01", "2024-02-30", "\u0000", "9".repeat(30), -1, 2 ** 63, 1e308),
  );
  const input = fc.dictionary(fieldName, value, { maxKeys: 6 });
  const body = fc.record({
    idProperty: fc.oneof(fc.constantFrom("id", "email", "pi", "external_id", "crm_number"), fc.string()),
    mode: fc.constantFrom("allOrNone", "partial"),
    inputs: fc.array(input, { minLength: 1, maxLength: 4 }),
  });

  it("random batches are answered below 500, as an error code or per-input results", async () => {
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await post(JSON.stringify(b));
        expect(res.statusCode, res.body).toBeLessThan(500);
        // A refused request names its code; a partial batch whose every input failed (422) lists results.
        const answer = res.json();
        if (res.statusCode >= 400)
          expect(typeof answer.error?.code === "string" || Array.isArray(answer.results)).toBe(true);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it("random bytes as a body are answered below 500", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.json()), async (text) => {
        const res = await post(text);
        expect(res.statusCode, res.body).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it("a path the router refuses (a long segment, bad percent-encoding) is a 400 in Tributary's shape", async () => {
    const long = await t.app.inject({
      url: `/api/v1/contacts/${"7".repeat(3000)}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(long.statusCode).toBe(400);
    expect(long.json()).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message: `A segment of the path /api/v1/contacts/${"7".repeat(103)}… is longer than 100 characters`,
      },
    });
    const badEncoding = await t.app.inject({
      url: "/api/v1/contacts/%E0%A4%A",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(badEncoding.statusCode).toBe(400);
    expect(badEncoding.json()).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message: "The path /api/v1/contacts/%E0%A4%A is not valid percent-encoding",
      },
    });
  });

  it("a body nested 100,000 deep is a 400, not a stack overflow", async () => {
    const deep = `{"idProperty":"id","inputs":[${"[".repeat(100_000)}${"]".repeat(100_000)}]}`;
    const res = await post(deep);
    expect(res.statusCode).toBe(400);
  });

  it("a server fault answers 500 with the bare INTERNAL body: no stack, no SQL, no table name", async () => {
    const broken = await openTestApp(engine, "broken");
    try {
      const brokenToken = await broken.token();
      await sql`alter table contacts rename to contacts_gone`.execute(broken.store.db);
      const res = await broken.app.inject({
        url: "/api/v1/contacts?q=ada",
        headers: { authorization: `Bearer ${brokenToken}` },
      });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: { code: "INTERNAL", message: "Internal error" } });
      expect(res.body).not.toMatch(/contacts|relation|at .*:\d+|stack/i);
    } finally {
      await broken.close();
    }
  });
});
