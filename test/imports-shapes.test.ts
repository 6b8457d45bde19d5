import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createImport } from "../src/jobs/create-import.js";
import { runImport } from "../src/jobs/run-import.js";
import { createUser } from "../src/store/users.js";
import { importErrors, waitForImport } from "./helpers/import-files.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

/** A CSV text from a header and rows of cells (no quoting needed by these tests' values). */
const csv = (header: string[], rows: string[][]) =>
  `${[header, ...rows].map((cells) => cells.join(",")).join("\n")}\n`;

const flatHeader = [
  "EmailAddress",
  "Name",
  "Surname",
  "DateOfBirth",
  "HeatStatus",
  "CorrespondenceCountry",
  "Tag",
  "ConsentType",
  "Consent",
  "ActivityPreferenceNumber",
  "ActivityCourse",
];

describe.each(testEngines)("import shapes of the vendor dialects on %s", (engine) => {
  let t: TestApp;
  let token: string;
  const auth = () => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await openTestApp(engine, `import_shapes_${engine}`);
    token = await t.token();
  });
  afterAll(() => t.close());

  const upload = (body: string, query: string) =>
    t.app.inject({
      method: "POST",
      url: `/api/v1/imports${query}`,
      headers: { ...auth(), "content-type": "text/csv" },
      payload: body,
    });
  const contactByEmail = async (email: string) => {
    const found = await t.app.inject({ url: `/api/v1/contacts?q=${email}`, headers: auth() });
    const [hit] = found.json().data as Array<{ id: number }>;
    if (!hit) return undefined;
    return (await t.app.inject({ url: `/api/v1/contacts/${hit.id}`, headers: auth() })).json();
  };
  const errorLines = (id: number) => importErrors(t.app, token, id);
  /** A CSV preview's answer. */
  const previewCsv = async (query: string, body: string) =>
    (
      await t.app.inject({
        method: "POST",
        url: `/api/v1/imports/preview${query}`,
        headers: { ...auth(), "content-type": "text/csv" },
        payload: body,
      })
    ).json();

  it("hobsons: flat rows grouped by Personal Identifier into one contact each, children kept once", async () => {
    const body = csv(flatHeader, [
      [
        "amy@example.edu",
        "Amy",
        "Ng",
        "2001-04-05",
        "Warm",
        "Australia",
        "Open Day",
        "Email",
        "true",
        "1",
        "BSc",
      ],
      ["bo@example.edu", "Bo", "Li", "2002-01-01", "", "NZ", "Open Day", "", "", "", ""],
      ["amy@example.edu", "Amy", "Ng", "2001-04-05", "", "", "Webinar", "", "", "2", "BA"],
      ["amy@example.edu", "Amy", "Ng", "2001-04-05", "", "", "Open Day", "", "", "", ""],
      ["cy@example.edu", "Cy", "Oh", "31/02/2001", "", "", "", "", "", "", ""],
      ["dee@example.edu", "Dee", "Ru", "", "Scorching", "", "", "", "", "", ""],
    ]);
    const res = await upload(body, "?shape=hobsons");
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ shape: "hobsons", idProperty: "student_institution_id" });
    const done = await waitForImport(t.app, token, res.json().id);
    // Rows are counted as rows: Amy's three rows each say "created" with her one contact id.
    expect(done).toMatchObject({ state: "completed", rowsRead: 6, created: 4, failed: 2 });

    const amy = await contactByEmail("amy@example.edu");
    expect(amy).toMatchObject({ givenName: "Amy", surname: "Ng", dateOfBirth: "2001-04-05" });
    expect(amy.tags.map((tag: { tag: string }) => tag.tag).sort()).toEqual(["Open Day", "Webinar"]);
    expect(amy.consents).toMatchObject([{ type: "Email", granted: true }]);
    // PackageCourses defaults to true: one activity holding both courses.
    expect(amy.activities).toHaveLength(1);
    expect(amy.activities[0].courses).toHaveLength(2);
    expect((await contactByEmail("bo@example.edu")).tags).toMatchObject([{ tag: "Open Day" }]);

    const errors = await errorLines(res.json().id);
    expect(errors).toEqual([
      expect.objectContaining({
        row: 5,
        status: "error",
        errorCode: "CONTACT_DATE_INVALID",
        field: "DateOfBirth",
      }),
      expect.objectContaining({
        row: 6,
        status: "error",
        errorCode: "CONTACT_REFERENCE_UNKNOWN",
        field: "HeatStatus",
        message: expect.stringContaining("'Scorching'"),
      }),
    ]);
    expect(await contactByEmail("cy@example.edu")).toBeUndefined();

    // The same file again changes nothing: no second contact, no duplicate children.
    const again = await waitForImport(t.app, token, (await upload(body, "?shape=hobsons")).json().id);
    expect(again).toMatchObject({ state: "completed", created: 0, unchanged: 4, failed: 2 });
    const amyAgain = await contactByEmail("amy@example.edu");
    expect(amyAgain.id).toBe(amy.id);
    expect(amyAgain.tags).toHaveLength(2);
    expect(amyAgain.activities).toHaveLength(1);
  });

  it("hobsons: a file whose every row the reader refuses fails row by row, in the preview and the job", async () => {
    const body = "{broken\n[1]\n";
    const preview = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports/preview?shape=hobsons",
      headers: { ...auth(), "content-type": "application/x-ndjson" },
      payload: body,
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.json().rows.map((r: { errors: Array<{ code: string }> }) => r.errors[0].code)).toEqual([
      "NDJSON_INVALID_LINE",
      "NDJSON_NOT_OBJECT",
    ]);
    const job = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports?shape=hobsons",
      headers: { ...auth(), "content-type": "application/x-ndjson" },
      payload: body,
    });
    expect(await waitForImport(t.app, token, job.json().id)).toMatchObject({
      state: "completed",
      rowsRead: 2,
      failed: 2,
    });
  });

  it("hobsons: a person whose rows fall into two chunks is still one contact", async () => {
    const rows = [
      ["eve@example.edu", "Eve", "Ho", "1999-09-09", "", "", "Tag A", "", "", "", ""],
      ["fay@example.edu", "Fay", "Yu", "1998-08-08", "", "", "", "", "", "", ""],
      ["gus@example.edu", "Gus", "Po", "1997-07-07", "", "", "", "", "", "", ""],
      ["eve@example.edu", "Eve", "Ho", "1999-09-09", "", "", "Tag B", "", "", "", ""],
    ];
    const job = await createImport(
      t.store,
      { tenantId: t.tenant.id, actor: "test", format: "csv", shape: "hobsons" },
      Readable.from([Buffer.from(csv(flatHeader, rows))]),
    );
    expect(await runImport(t.store, t.tenant.id, job.id, { chunkRows: 2 })).toBe("completed");
    const eve = await contactByEmail("eve@example.edu");
    expect(eve.tags.map((tag: { tag: string }) => tag.tag).sort()).toEqual(["Tag A", "Tag B"]);
    const search = await t.app.inject({ url: "/api/v1/contacts?q=eve@example.edu", headers: auth() });
    expect(search.json().data).toHaveLength(1);
  });

  it("servicestack: upserts by regent_id, else by email + names + date of birth, as the endpoint does", async () => {
    await createUser(t.store.db, {
      tenantId: t.tenant.id,
      username: "owner.one",
      passwordHash: null,
      roles: ["REGISUserRole"],
    });
    const header = [
      "regent_id",
      "first_name",
      "last_name",
      "email",
      "dob",
      "country",
      "owning_username",
      "no_mail",
    ];
    const first = csv(header, [
      ["101", "Hal", "Ito", "hal@example.edu", "1980-01-02", "Australia", "OWNER.ONE", "True"],
      ["", "Ida", "Vo", "ida@example.edu", "1981-03-04", "nz", "", ""],
      ["0", "Jo", "Wu", "jo@example.edu", "0001-01-01", "", "nobody", ""],
      ["", "Kit", "Xi", "kit@example.edu", "1990-13-45", "", "", "Maybe"],
    ]);
    const res = await upload(first, "?shape=servicestack");
    expect(res.statusCode).toBe(202);
    const done = await waitForImport(t.app, token, res.json().id);
    expect(done).toMatchObject({ state: "completed", rowsRead: 4, created: 2, failed: 2 });
    const hal = await contactByEmail("hal@example.edu");
    expect(hal).toMatchObject({ identifiers: { regent_id: "101" }, owner: "owner.one", noMail: true });
    expect(await contactByEmail("jo@example.edu")).toBeUndefined();
    const errors = await errorLines(res.json().id);
    expect(errors.map((e) => [e.row, e.errorCode, e.field])).toEqual([
      [3, "CONTACT_REFERENCE_UNKNOWN", "owning_username"],
      [4, "CONTACT_DATE_INVALID", "dob"],
      [4, "CONTACT_FIELD_INVALID", "no_mail"],
    ]);

    // Hal by regent_id, Ida (no regent_id) by her personal identity: both updated, nobody new.
    const second = csv(header, [
      ["101", "Hal", "Ito", "hal.new@example.edu", "1980-01-02", "", "", ""],
      ["", "Ida", "Vo", "ida@example.edu", "1981-03-04", "Australia", "", ""],
    ]);
    const again = await waitForImport(t.app, token, (await upload(second, "?shape=servicestack")).json().id);
    expect(again).toMatchObject({ state: "completed", created: 0, updated: 2, failed: 0 });
    expect((await contactByEmail("hal.new@example.edu")).id).toBe(hal.id);

    // One new person twice in one file, no regent_id: one contact (it used to be two). A row of empty cells
    // is skipped: it used to become an empty contact.
    const third = csv(header, [
      ["", "Gale", "Boetticher", "gale@example.edu", "1970-01-01", "", "", ""],
      ["", "", "", "", "", "", "", ""],
      ["0", "Gale", "Boetticher", "GALE@example.edu", "1970-01-01", "Australia", "", ""],
    ]);
    const once = await waitForImport(t.app, token, (await upload(third, "?shape=servicestack")).json().id);
    expect(once).toMatchObject({
      state: "completed",
      rowsRead: 3,
      created: 1,
      updated: 1,
      unchanged: 1,
      failed: 0,
    });
    const results = await t.app.inject({
      url: `/api/v1/imports/${once.id}/results?format=ndjson`,
      headers: auth(),
    });
    const rows = results.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.row, r.status])).toEqual([
      [1, "created"],
      [2, "skipped"],
      [3, "updated"],
    ]);
    expect(rows[2].contactId).toBe(rows[0].contactId);
  });

  it("sam: a list or an object in an NDJSON row is that field's error, not JSON text stored", async () => {
    const body = [
      JSON.stringify({
        externalId: "SL-1",
        firstname: "Arr",
        lastname: "V",
        title: ["Dr", "Prof"],
        notes: { x: 1 },
      }),
      JSON.stringify({ externalId: "SL-2", firstname: "Bee", lastname: "V", title: "Dr" }),
    ].join("\n");
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports?shape=sam",
      headers: { ...auth(), "content-type": "application/x-ndjson" },
      payload: body,
    });
    const job = await waitForImport(t.app, token, res.json().id);
    expect(job).toMatchObject({ state: "completed", created: 1, failed: 1 });
    expect((await errorLines(res.json().id)).map((e) => [e.row, e.errorCode, e.field, e.message])).toEqual([
      [1, "CONTACT_FIELD_INVALID", "title", "title must be a string or a number, not a list or object"],
      [1, "CONTACT_FIELD_INVALID", "notes", "notes must be a string or a number, not a list or object"],
    ]);
  });

  it("a mapping's targets match the shape's field names whatever their case; errors name the file's column", async () => {
    const ss = await previewCsv(
      `?shape=servicestack&mapping=${encodeURIComponent(JSON.stringify({ Ref: "REGENT_ID", Mail: "EMAIL", Given: "FIRST_NAME", Born: "DOB" }))}`,
      "Ref,Mail,Given,Born\n7777,upper.map@example.org,Upper,1990-13-01\n",
    );
    expect(ss.mapping).toEqual({ Ref: "regent_id", Mail: "email", Given: "first_name", Born: "dob" });
    expect(ss.rows[0].errors).toMatchObject([{ code: "CONTACT_DATE_INVALID", field: "Born" }]);
    const sam = await previewCsv(
      `?shape=sam&mapping=${encodeURIComponent(JSON.stringify({ Ref: "ExternalId", Mail: "Email1", Given: "FirstName" }))}`,
      "Ref,Mail,Given\nSM-1,sm1@example.org,Sam\n",
    );
    expect(sam.mapping).toEqual({ Ref: "externalId", Mail: "email1", Given: "firstname" });
    expect(sam.rows[0]).toMatchObject({ status: "created", identifiers: { external_id: "SM-1" } });
  });

  it("servicestack and hobsons rows refused for a reference also list the rest of their problems", async () => {
    const ss = await previewCsv(
      "?shape=servicestack",
      "first_name,last_name,email,country\nMo,Ra,not-an-email,Atlantis\n",
    );
    expect(ss.rows[0].errors.map((e: { code: string; field: string }) => [e.code, e.field])).toEqual([
      ["CONTACT_REFERENCE_UNKNOWN", "country"],
      ["CONTACT_EMAIL_INVALID", "email"],
    ]);
    const hob = await previewCsv(
      "?shape=hobsons",
      "StudentInstitutionId,Name,Surname,EmailAddress,HeatStatus\nHB-1,Cy,Ma,not-an-email,Lukewarm\n",
    );
    expect(hob.rows[0].errors.map((e: { code: string; field: string }) => [e.code, e.field])).toEqual([
      ["CONTACT_REFERENCE_UNKNOWN", "HeatStatus"],
      ["CONTACT_EMAIL_INVALID", "EmailAddress"],
    ]);
  });

  it("a sam row refused for a value it cannot read also lists its other problems, named by the file's columns", async () => {
    const sam = await previewCsv(
      `?shape=sam&mapping=${encodeURIComponent(JSON.stringify({ Ref: "externalId", Mail: "email1", Born: "dateOfBirth" }))}`,
      "Ref,Mail,Born\nSM-2,not-an-email,1990-02-30\n",
    );
    expect(sam.rows[0].errors).toEqual([
      {
        code: "CONTACT_FIELD_INVALID",
        field: "Born",
        message: "Born must be YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds",
      },
      {
        code: "CONTACT_EMAIL_INVALID",
        field: "Mail",
        message: "Mail 'not-an-email' is not an email address",
      },
    ]);
  });

  it("a row of empty cells is skipped in every shape, in the preview and the job alike", async () => {
    for (const [query, body] of [
      ["?shape=sam", "externalId,firstname,lastname,email1\nBL-1,Bo,Lee,bo@example.com\n,,,\n"],
      ["?shape=native&idProperty=external_id", "External ID,Email\nBL-2,bl2@example.com\n,\n"],
      ["?shape=hobsons", "StudentInstitutionId,Name,Surname,EmailAddress\nBL-3,Cy,Ma,cy@example.com\n,,,\n"],
    ]) {
      const preview = await previewCsv(query, body);
      expect(
        preview.rows.map((r: { status: string }) => r.status),
        query,
      ).toEqual(["created", "skipped"]);
      const job = await waitForImport(t.app, token, (await upload(body, query)).json().id);
      expect(job, query).toMatchObject({
        state: "completed",
        rowsRead: 2,
        created: 1,
        unchanged: 1,
        failed: 0,
      });
    }
  });

  it("sam: upserts by externalId, else by email1 + names, and an older contactModified is not saved", async () => {
    const header = ["externalId", "firstname", "lastname", "email1", "company", "contactModified"];
    const first = csv(header, [
      ["SAM-1", "Lee", "Moss", "lee@example.com", "Acme", "1700000000000"],
      ["", "Zed", "Quill", "zed@example.com", "Acme", "1700000000000"],
    ]);
    const done = await waitForImport(t.app, token, (await upload(first, "?shape=sam")).json().id);
    expect(done).toMatchObject({ state: "completed", created: 2, failed: 0 });
    const lee = await contactByEmail("lee@example.com");
    const zed = await contactByEmail("zed@example.com");

    const second = csv(header, [
      // Older than what is stored: not saved, and the job counts it as unchanged.
      ["SAM-1", "Lee", "Moss", "lee@example.com", "Stale Co", "1600000000000"],
      // No externalId: the same email and names are the same contact, updated in place.
      ["", "Zed", "Quill", "zed@example.com", "Newer Co", "1800000000000"],
    ]);
    const again = await waitForImport(t.app, token, (await upload(second, "?shape=sam")).json().id);
    expect(again).toMatchObject({ state: "completed", created: 0, updated: 1, unchanged: 1, failed: 0 });
    expect(await contactByEmail("lee@example.com")).toMatchObject({ id: lee.id, company: "Acme" });
    expect(await contactByEmail("zed@example.com")).toMatchObject({ id: zed.id, company: "Newer Co" });
  });
});
