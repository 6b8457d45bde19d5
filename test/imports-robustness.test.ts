import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForImport } from "./helpers/import-files.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

// Uploads made of the pieces that broke readers and writers before (NUL bytes, Latin-1 bytes, a BOM,
// stray quotes, headers that are field names, formula cells): whatever the bytes and options, the upload
// and the preview answer below 500, and a job ends completed or failed with a named reason, never an
// internal error and never stuck running.
const pieces = [
  "email",
  "givenName",
  "identifiers.external_id",
  "tags",
  "contactStatusReason",
  "EmailAddress",
  "Surname",
  ",",
  ";",
  '"',
  '""',
  "\n",
  "\r\n",
  "\r",
  "\u0000",
  "{",
  "}",
  "[",
  "]",
  ":",
  '"x":1',
  '{"email":"a@b.org"}',
  '{"tags":[{"tag":"a\\u0000b"}]}',
  "a@b.org",
  "=1+1",
  "'+61",
  "1990-02-30",
  "__proto__",
  "José",
  "x".repeat(300),
].map((p) => Buffer.from(p, "utf8"));
const rawBytes = [Buffer.from([0xff]), Buffer.from([0xe9]), Buffer.from([0xef, 0xbb, 0xbf])];

const upload = fc.record({
  parts: fc.array(fc.constantFrom(...pieces, ...rawBytes), { maxLength: 60 }),
  gzip: fc.boolean(),
  contentType: fc.constantFrom("text/csv", "application/x-ndjson", "application/json", "text/plain"),
  query: fc.constantFrom(
    "",
    "?format=csv",
    "?format=ndjson",
    "?idProperty=external_id",
    "?dryRun=true",
    "?encoding=windows-1252",
    "?shape=hobsons",
    "?shape=sam",
    "?shape=servicestack",
  ),
});

describe.each(testEngines)("bulk import robustness on %s", (engine) => {
  let t: TestApp;
  let token: string;
  const auth = () => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await openTestApp(engine, `imports_robust_${engine}`);
    token = await t.token();
  });
  afterAll(() => t.close());

  it("random uploads are answered below 500 and their jobs end with a named reason", async () => {
    await fc.assert(
      fc.asyncProperty(upload, async ({ parts, gzip, contentType, query }) => {
        const bytes = Buffer.concat(parts);
        const payload = gzip ? gzipSync(bytes) : bytes;
        const headers = { ...auth(), "content-type": contentType };
        const preview = await t.app.inject({
          method: "POST",
          url: `/api/v1/imports/preview${query}`,
          headers,
          payload,
        });
        expect(preview.statusCode, preview.body).toBeLessThan(500);
        const res = await t.app.inject({ method: "POST", url: `/api/v1/imports${query}`, headers, payload });
        expect(res.statusCode, res.body).toBeLessThan(500);
        if (res.statusCode !== 202) return;
        const job = await waitForImport(t.app, token, res.json().id, 20_000);
        expect(job.state === "completed" || job.state === "failed", JSON.stringify(job)).toBe(true);
        expect((job.error as { code?: string } | null)?.code, JSON.stringify(job)).not.toBe("INTERNAL");
        for (const file of ["results", "failed-rows"]) {
          const read = await t.app.inject({ url: `/api/v1/imports/${job.id}/${file}`, headers: auth() });
          expect(read.statusCode, read.body).toBe(200);
        }
      }),
      { numRuns: 40 },
    );
  }, 300_000);
});
