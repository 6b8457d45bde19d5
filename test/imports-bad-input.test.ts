import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importErrors, waitForImport } from "./helpers/import-files.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

const limit = 64 * 1024;

describe.each(testEngines)("bulk import bad input on %s", (engine) => {
  let t: TestApp;
  let token: string;
  const auth = () => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    process.env.TRIBUTARY_IMPORT_MAX_BYTES = String(limit);
    t = await openTestApp(engine, `import_bad_${engine}`);
    delete process.env.TRIBUTARY_IMPORT_MAX_BYTES;
    token = await t.token();
  });
  afterAll(() => t.close());

  const upload = (payload: string | Buffer, contentType = "text/csv", query = "") =>
    t.app.inject({
      method: "POST",
      url: `/api/v1/imports${query}`,
      headers: { ...auth(), "content-type": contentType },
      payload,
    });

  const errorsOf = (id: number) => importErrors(t.app, token, id);

  const rowCases = [
    {
      title: "a ragged row",
      body: Buffer.from("email,givenName\nr1@example.org,A\nr2@example.org,B,extra\nr3@example.org,C\n"),
      created: 2,
      errors: [{ row: 2, errorCode: "CSV_RAGGED_ROW" }],
    },
    {
      title: "Latin-1 bytes in a UTF-8 file",
      body: Buffer.concat([
        Buffer.from("email,givenName\nl1@example.org,Ren"),
        Buffer.from([0xe9]),
        Buffer.from("\nl2@example.org,Zoe\n"),
      ]),
      created: 1,
      errors: [{ row: 1, errorCode: "ENCODING_INVALID_UTF8" }],
    },
    {
      // The reader cannot know where the row ends: no later row is read, and the job ends failed saying so.
      title: "an unclosed quote (the rows before it go in)",
      body: Buffer.from('email,givenName\nq1@example.org,A\n"q2@example.org,B\nq3@example.org,C\n'),
      created: 1,
      errors: [{ row: 2, errorCode: "CSV_UNCLOSED_QUOTE" }],
      state: "failed",
      error: {
        code: "CSV_UNCLOSED_QUOTE",
        message:
          "row 2: the row opens a quote that is never closed; no later row was read; the rows before it are in, as the results say",
      },
    },
    {
      // A JSON array cut short (a truncated download): the elements before go in, and the job says the file ended early.
      title: "a truncated JSON array",
      contentType: "application/json",
      body: Buffer.from('[{"email":"j1@example.org"},\n{"email":"j2@example.org"},\n{"email":"j3@exa'),
      created: 2,
      errors: [{ row: 3, errorCode: "JSON_ARRAY_UNCLOSED" }],
      state: "failed",
      error: {
        code: "JSON_ARRAY_UNCLOSED",
        message:
          "row 3: the array is never closed (truncated file?); the rows before it are in, as the results say",
      },
    },
    {
      // PostgreSQL text cannot hold U+0000: the row says so, instead of the chunk's statement failing.
      title: "a NUL character in a tag and in a status reason",
      contentType: "application/x-ndjson",
      body: Buffer.from(
        [
          JSON.stringify({ email: "z1@example.org", tags: [{ tag: "Open\u0000Day" }] }),
          JSON.stringify({ email: "z2@example.org", tags: [{ tag: "Open Day" }] }),
          JSON.stringify({ email: "z3@example.org", contactStatusReason: "moved\u0000" }),
        ].join("\n"),
      ),
      created: 1,
      errors: [
        { row: 1, errorCode: "CONTACT_FIELD_INVALID", field: "tags[0].tag" },
        { row: 3, errorCode: "CONTACT_FIELD_INVALID", field: "contactStatusReason" },
      ],
    },
    {
      // A bad date inside a collection fails its row, named by its path. It used to reach PostgreSQL in the
      // chunk's one statement for all children and stop the whole import with INTERNAL.
      title: "bad dates, types and lists inside a row's collections",
      contentType: "application/x-ndjson",
      body: Buffer.from(
        [
          JSON.stringify({
            email: "k1@example.org",
            communications: [{ subject: "Fees", occurredAt: "soon" }],
          }),
          JSON.stringify({
            email: "k2@example.org",
            tasks: [{ taskType: "Call", actionDate: "2026-04-01" }],
          }),
          JSON.stringify({ email: "k3@example.org", tasks: [{ actionDate: "next week" }] }),
          JSON.stringify({ email: "k4@example.org", consents: [{ type: "sms", granted: "yes" }] }),
          JSON.stringify({ email: "k5@example.org", tasks: "Call back" }),
          JSON.stringify({ email: "k6@example.org", activities: [{ courses: [{ course: 7 }] }] }),
        ].join("\n"),
      ),
      created: 1,
      errors: [
        { row: 1, errorCode: "CONTACT_DATE_INVALID", field: "communications[0].occurredAt" },
        { row: 3, errorCode: "CONTACT_DATE_INVALID", field: "tasks[0].actionDate" },
        { row: 4, errorCode: "CONTACT_FIELD_INVALID", field: "consents[0].granted" },
        { row: 5, errorCode: "CONTACT_FIELD_INVALID", field: "tasks" },
        { row: 6, errorCode: "CONTACT_FIELD_INVALID", field: "activities[0].courses[0].course" },
      ],
    },
    {
      // A cell the shape cannot read (a day-first date) and a bad email in one row: both said at once.
      title: "a row with a cell the shape cannot read and another the engine refuses",
      body: Buffer.from(
        "External ID,Email,DOB,Inactive\nAN-8,an8@example.org,1990-01-02,\nAN-9,bad,31/12/1990,maybe\n",
      ),
      query: "?idProperty=external_id",
      created: 1,
      failed: 1,
      errors: [
        { row: 2, errorCode: "CONTACT_DATE_INVALID", field: "DOB" },
        { row: 2, errorCode: "CONTACT_FIELD_INVALID", field: "Inactive" },
        { row: 2, errorCode: "CONTACT_EMAIL_INVALID", field: "Email" },
      ],
    },
    {
      // The reader's message quotes the line, NUL and all: it is stored shown as ␀, not failing the chunk.
      title: "an NDJSON line that is not JSON and holds a NUL byte",
      contentType: "application/x-ndjson",
      body: Buffer.from('{"email":"u1@example.org"}\n\u0000{"email\n{"email":"u3@example.org"}\n'),
      created: 2,
      errors: [{ row: 2, errorCode: "NDJSON_INVALID_LINE", message: expect.not.stringContaining("\u0000") }],
    },
    {
      // Two columns feed dateOfBirth; the error names the one the row's value was read from.
      title: "a bad date in one of two columns for the same field",
      body: Buffer.from(
        "email,DOB,Date of Birth\nd1@example.org,,1990-02-31\nd2@example.org,31/12/1990,\nd3@example.org,1990-01-02,\n",
      ),
      created: 1,
      errors: [
        { row: 1, field: "Date of Birth" },
        { row: 2, field: "DOB" },
      ],
    },
    {
      title: "NDJSON with a broken line",
      contentType: "application/x-ndjson",
      body: Buffer.from('{"email":"n1@example.org"}\n{"email": "n2@\n{"email":"n3@example.org"}\n'),
      created: 2,
      errors: [{ row: 2, errorCode: "NDJSON_INVALID_LINE" }],
    },
  ];

  it("a column whose name holds a NUL byte is listed as unmapped, shown as ␀", async () => {
    const res = await upload("email,Bad\u0000Name\nnul-col@example.org,x\n");
    expect(await waitForImport(t.app, token, res.json().id)).toMatchObject({
      state: "completed",
      created: 1,
      unmappedColumns: ["Bad\u2400Name"],
    });
  });

  it.each(rowCases)(
    "$title: the row fails with its reason, the rest go in",
    async ({ body, contentType, created, errors, ...end }) => {
      const res = await upload(body, contentType, (end as { query?: string }).query);
      expect(res.statusCode).toBe(202);
      const done = await waitForImport(t.app, token, res.json().id);
      const {
        state = "completed",
        error = null,
        failed = errors.length,
      } = end as {
        state?: string;
        error?: unknown;
        query?: string;
        failed?: number;
      };
      expect(done).toMatchObject({ state, error, created, failed });
      expect(await errorsOf(res.json().id)).toMatchObject(errors);
    },
  );

  const refusedCases = [
    {
      title: "an unknown mapped field",
      query: `?mapping=${encodeURIComponent(JSON.stringify({ email: "emailAddress" }))}`,
      body: "email\na@example.org\n",
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: "emailAddress",
    },
    {
      title: "a mapping naming a missing column",
      query: `?mapping=${encodeURIComponent(JSON.stringify({ Mail: "email" }))}`,
      body: "email\na@example.org\n",
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: "Mail",
    },
    {
      title: "no column that maps to anything",
      query: "",
      body: "colour,size\nred,L\n",
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: "no column maps",
    },
    {
      title: "an empty file",
      query: "",
      body: "",
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: "empty",
    },
    {
      title: "a duplicate header",
      query: "",
      body: "email,email\na@x.org,b@x.org\n",
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: "CSV_HEADER_DUPLICATE",
    },
    {
      title: "a UTF-16 file",
      query: "",
      body: Buffer.from("\ufeffemail\na@x.org\n", "utf16le"),
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: "UTF-16",
    },
    {
      title: "an unknown shape",
      query: "?shape=nope",
      body: "email\na@x.org\n",
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: "shape",
    },
    {
      title: "an unknown idProperty",
      query: "?idProperty=Not%20One",
      body: "email\na@x.org\n",
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: "idProperty",
    },
    {
      title: "a mapping that is not JSON",
      query: "?mapping=%7Bnope",
      body: "email\na@x.org\n",
      status: 400,
      code: "REQUEST_BODY_INVALID",
      message: "mapping",
    },
    {
      title: "a file over the configured limit",
      query: "",
      body: `email\n${"x@example.org\n".repeat(limit / 10)}`,
      status: 413,
      code: "REQUEST_TOO_LARGE",
      message: "limit",
    },
  ];

  it.each(refusedCases)(
    "$title: refused with $status, nothing stored",
    async ({ query, body, status, code, message }) => {
      const res = await upload(body, "text/csv", query);
      expect(res.statusCode).toBe(status);
      expect(res.json().error).toMatchObject({ code, message: expect.stringContaining(message) });
      const stored = await t.store.executeSql("select count(*)::int as n from import_upload_pieces");
      const jobs = await t.store.executeSql(
        "select count(*)::int as n from import_jobs where state = 'uploading'",
      );
      expect(jobs.rows).toEqual([{ n: 0 }]);
      expect(stored.rows.length).toBe(1);
    },
  );

  it("closes the connection of an upload refused part-way, so neither side waits on it", async () => {
    const base = await t.app.listen({ host: "127.0.0.1", port: 0 });
    const answer = await new Promise<{ status: number; body: string }>((resolve) => {
      let answered = 0;
      let body = "";
      const request = http.request(`${base}/api/v1/imports`, {
        method: "POST",
        // No Content-Length: the limit is found part-way, with most of the body still coming.
        headers: { ...auth(), "content-type": "text/csv", "transfer-encoding": "chunked" },
      });
      request.on("response", (response) => {
        answered = response.statusCode ?? 0;
        response.setEncoding("utf8");
        response.on("data", (part: string) => {
          body += part;
        });
      });
      // The server closes the connection after its answer: the rest of the body has nowhere to go.
      request.on("error", () => {});
      request.on("socket", (socket) => socket.on("error", () => {}));
      request.on("close", () => resolve({ status: answered, body }));
      request.end(`email\n${"x@example.org\n".repeat((20 * 1024 * 1024) / 13)}`);
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({
      error: { code: "REQUEST_TOO_LARGE", message: `the upload is over the limit of ${limit} bytes` },
    });
  });

  it("refuses a declared 2 GB body from its Content-Length before reading it", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports",
      headers: { ...auth(), "content-type": "text/csv", "content-length": String(2 * 1024 ** 3) },
      payload: "email\n",
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe("REQUEST_TOO_LARGE");
  });

  it("takes a file under any content type when format names it, and the older CSV types by themselves", async () => {
    for (const [type, query] of [
      ["application/vnd.ms-excel", "?format=csv"],
      ["text/plain", "?format=csv"],
      ["text/x-csv", ""],
      ["text/comma-separated-values", ""],
    ]) {
      const res = await upload(
        `email,givenName\nct-${type.replace(/\W/g, "")}@example.org,Typed\n`,
        type,
        query,
      );
      expect(res.statusCode, type).toBe(202);
      expect(await waitForImport(t.app, token, res.json().id)).toMatchObject({
        format: "csv",
        created: 1,
        failed: 0,
      });
    }
  });

  it("names the value a results query allows", async () => {
    const res = await upload("email\nq@example.org\n");
    const wrong = await t.app.inject({
      url: `/api/v1/imports/${res.json().id}/results?only=failures`,
      headers: auth(),
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message: 'only: must be "errors"',
        details: [{ code: "REQUEST_BODY_INVALID", field: "only", message: 'must be "errors"' }],
      },
    });
  });

  it("refuses unsupported content types, missing auth and the wrong role", async () => {
    const xml = await upload("<a/>", "application/xml");
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toEqual({
      error: {
        code: "REQUEST_UNSUPPORTED_MEDIA_TYPE",
        message:
          "application/xml: send text/csv, application/x-ndjson or application/json, gzip allowed (or set format)",
      },
    });
    const anonymous = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports",
      headers: { "content-type": "text/csv" },
      payload: "email\n",
    });
    expect(anonymous.statusCode).toBe(401);
    const reader = await t.token(["contacts:read"]);
    const readOnly = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports",
      headers: { authorization: `Bearer ${reader}`, "content-type": "text/csv" },
      payload: "email\n",
    });
    expect(readOnly.statusCode).toBe(403);
    const missing = await t.app.inject({ url: "/api/v1/imports/999999", headers: auth() });
    expect(missing.statusCode).toBe(404);
    // The service stays up after all of the above.
    expect((await t.app.inject({ url: "/health" })).statusCode).toBe(200);
  });
});
