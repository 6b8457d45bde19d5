import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../src/store/tenants.js";
import { peopleCsv, uploadingJob, waitForImport } from "./helpers/import-files.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

describe.each(testEngines)("bulk import API on %s", (engine) => {
  let t: TestApp;
  let token: string;
  const auth = () => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await openTestApp(engine, `imports_${engine}`);
    token = await t.token();
  });
  afterAll(() => t.close());

  async function upload(body: string | Buffer, contentType: string, query = "") {
    return t.app.inject({
      method: "POST",
      url: `/api/v1/imports${query}`,
      headers: { ...auth(), "content-type": contentType },
      payload: body,
    });
  }

  it("imports a CSV with automatically mapped headers, then updates half of it", async () => {
    const res = await upload(peopleCsv(120), "text/csv", "?idProperty=external_id");
    expect(res.statusCode).toBe(202);
    const job = res.json();
    expect(job).toMatchObject({
      state: expect.stringMatching(/queued|running|completed/),
      shape: "native",
      format: "csv",
    });
    const done = await waitForImport(t.app, token, job.id);
    expect(done).toMatchObject({
      state: "completed",
      rowsRead: 120,
      created: 120,
      updated: 0,
      failed: 0,
      percent: 100,
    });

    const again = await upload(
      `${peopleCsv(60, { company: "Acme Two" })}`.concat(
        peopleCsv(60, { start: 60 }).split("\n").slice(1).join("\n"),
      ),
      "text/csv",
      "?idProperty=external_id",
    );
    const second = await waitForImport(t.app, token, again.json().id);
    expect(second).toMatchObject({
      state: "completed",
      rowsRead: 120,
      created: 0,
      updated: 60,
      unchanged: 60,
    });

    const search = await t.app.inject({ url: "/api/v1/contacts?q=person7@example.org", headers: auth() });
    const person = search.json().data[0];
    expect(person).toMatchObject({
      givenName: "Given7",
      surname: "Surname7",
      company: "Acme Two",
      dateOfBirth: "1990-01-02",
      identifiers: { external_id: "P-7" },
    });
  });

  it("maps a spreadsheet's job title, notes and salutation as users write them, and leaves a bare Title alone", async () => {
    const csv =
      'Email,First Name,Title,Job Title,Notes,Status,Salutation\nsheet1@example.org,Ann,Dean,Dean of Studies,"Met at the open day, keen",Active,Dr.\n';
    const first = await waitForImport(t.app, token, (await upload(csv, "text/csv")).json().id);
    expect(first).toMatchObject({
      state: "completed",
      created: 1,
      failed: 0,
      unmappedColumns: ["Title", "Status"],
      columnMapping: { "Job Title": "profession", Notes: "notes", Salutation: "salutationId" },
    });
    const search = await t.app.inject({ url: "/api/v1/contacts?q=sheet1@example.org", headers: auth() });
    const id = search.json().data[0].id;
    const person = (await t.app.inject({ url: `/api/v1/contacts/${id}`, headers: auth() })).json();
    expect(person).toMatchObject({ profession: "Dean of Studies", salutationId: expect.any(Number) });
    expect(person.notes).toMatchObject([{ content: "Met at the open day, keen" }]);
    // The same file again: the note is kept once.
    const again = await waitForImport(t.app, token, (await upload(csv, "text/csv")).json().id);
    expect(again).toMatchObject({ state: "completed", unchanged: 1 });
    const reread = (await t.app.inject({ url: `/api/v1/contacts/${id}`, headers: auth() })).json();
    expect(reread.notes).toHaveLength(1);
  });

  it("reads a CSV identifiers column of JSON text, as the CSV export writes a tenant's own schemes", async () => {
    const csv =
      'email,identifiers\nids1@example.org,"{""student_no"":""S-1"",""badge"":""B-9""}"\nids2@example.org,S-2\n';
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports/preview",
      headers: { ...auth(), "content-type": "text/csv" },
      payload: csv,
    });
    const [first, second] = res.json().rows;
    expect(first).toMatchObject({ status: "created", identifiers: { student_no: "S-1", badge: "B-9" } });
    expect(second).toMatchObject({
      status: "error",
      errors: [
        {
          code: "CONTACT_FIELD_INVALID",
          field: "identifiers",
          message: 'identifiers must be an object (in a CSV cell, JSON text such as {"student_no":"S-1"})',
        },
      ],
    });
  });

  it("reads a CSV tags cell as names joined by ; or, for names holding a ;, a JSON array of them", async () => {
    const csv = 'email,tags\ntags1@example.org,"[""Open; Day"",""VIP""]"\ntags2@example.org,[VIP];Alumni\n';
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports/preview",
      headers: { ...auth(), "content-type": "text/csv" },
      payload: csv,
    });
    const tagsOf = (row: { related: { tags: Array<{ tag: string }> } }) => row.related.tags.map((x) => x.tag);
    expect(res.json().rows.map(tagsOf)).toEqual([
      ["Open; Day", "VIP"],
      ["[VIP]", "Alumni"],
    ]);
  });

  it("refuses a mapping that names columns the CSV lacks, even when the first row is ragged", async () => {
    const mapping = encodeURIComponent(JSON.stringify({ Mail: "email", "First Name": "givenName" }));
    for (const csv of [
      "Email,First Name\nmap1@example.org,Ann\n",
      "Email,First Name\nmap1@example.org,Ann,extra\nmap2@example.org,Bo\n",
    ]) {
      const res = await upload(csv, "text/csv", `?mapping=${mapping}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: "REQUEST_BODY_INVALID",
        message: "the mapping names columns the file does not have: Mail (the file has Email, First Name)",
      });
    }
  });

  it("refuses a CSV with no column for its match key at upload; NDJSON rows without one fail alone", async () => {
    const csv = ["First Name,Company", "Nokey,Acme", "Nokey2,Acme"].join("\n");
    const res = await upload(csv, "text/csv");
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message:
          "no column maps to email, which idProperty 'email' matches on (columns: First Name, Company); map a column to it or choose another idProperty",
        details: [{ code: "REQUEST_BODY_INVALID", field: "idProperty", message: "no column maps to email" }],
      },
    });
    const byScheme = await upload(csv, "text/csv", "?idProperty=student_number");
    expect(byScheme.statusCode).toBe(400);
    expect(byScheme.json()).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message:
          "no column maps to identifiers.student_number, which idProperty 'student_number' matches on (columns: First Name, Company); map a column to it or choose another idProperty",
        details: [
          {
            code: "REQUEST_BODY_INVALID",
            field: "idProperty",
            message: "no column maps to identifiers.student_number",
          },
        ],
      },
    });
    // The preview says so too, in the same words, rather than the same error on each of its rows.
    const preview = await previewCsv(csv);
    expect(preview.statusCode).toBe(400);
    expect(preview.json().error).toEqual(res.json().error);
    // An `identifiers` column may carry any scheme: the rows tell.
    const nested = await upload(
      'identifiers,Company\n"{""x"":1}",Acme',
      "text/csv",
      "?idProperty=student_number",
    );
    expect(nested.statusCode).toBe(202);
    await waitForImport(t.app, token, nested.json().id);
    // A column that feeds the key, even with empty cells, lets the job run: those rows fail alone.
    const emptyKey = await upload("Email,First Name\n,Empty\nkeyed@example.org,Keyed", "text/csv");
    expect(await waitForImport(t.app, token, emptyKey.json().id)).toMatchObject({
      state: "completed",
      created: 1,
      failed: 1,
    });
    const nd = await upload(JSON.stringify({ givenName: "Nokey" }), "application/x-ndjson");
    expect(await waitForImport(t.app, token, nd.json().id)).toMatchObject({ state: "completed", failed: 1 });
  });

  it("keeps a mapping's column names as the file spells them, snake_case included", async () => {
    const csv = ["ext_id,first_name,email_address", "SN-1,Snake,snake1@example.org"].join("\n");
    const mapping = { ext_id: "identifiers.external_id", first_name: "givenName", email_address: "email" };
    const res = await upload(
      csv,
      "text/csv",
      `?idProperty=external_id&mapping=${encodeURIComponent(JSON.stringify(mapping))}`,
    );
    expect(res.json().mapping).toEqual(mapping);
    const done = await waitForImport(t.app, token, res.json().id);
    expect(done).toMatchObject({ state: "completed", created: 1, failed: 0, mapping, unmappedColumns: [] });
    const search = await t.app.inject({ url: "/api/v1/contacts?q=snake1@example.org", headers: auth() });
    expect(search.json().data[0]).toMatchObject({ givenName: "Snake", identifiers: { external_id: "SN-1" } });
  });

  it("lists the columns that fed no field, so a misspelt or unknown column is not dropped without a word", async () => {
    const csv = ["External ID,Emial,Favourite Colour,First Name", "UC-1,uc1@example.org,blue,Ada"].join("\n");
    const res = await upload(csv, "text/csv", "?idProperty=external_id");
    expect(res.json()).toMatchObject({ unmappedColumns: [] });
    const done = await waitForImport(t.app, token, res.json().id);
    expect(done).toMatchObject({
      state: "completed",
      created: 1,
      mapping: null,
      unmappedColumns: ["Emial", "Favourite Colour"],
    });
    // The job shows what the automatic mapping made of every header, in the file's order.
    expect(Object.entries(done.columnMapping as Record<string, string | null>)).toEqual([
      ["External ID", "identifiers.external_id"],
      ["Emial", null],
      ["Favourite Colour", null],
      ["First Name", "givenName"],
    ]);
    const mapped = await upload(
      csv,
      "text/csv",
      `?idProperty=external_id&mapping=${encodeURIComponent(JSON.stringify({ "External ID": "identifiers.external_id", Emial: "email" }))}`,
    );
    expect(await waitForImport(t.app, token, mapped.json().id)).toMatchObject({
      updated: 1,
      unmappedColumns: ["Favourite Colour", "First Name"],
      columnMapping: {
        "External ID": "identifiers.external_id",
        Emial: "email",
        "Favourite Colour": null,
        "First Name": null,
      },
    });
    // NDJSON records may differ: a key first met in a later chunk joins the list.
    const lines = [
      ...Array.from({ length: 2500 }, (_, i) => JSON.stringify({ email: `uc-nd${i}@example.org` })),
      JSON.stringify({ email: "uc-late@example.org", shoeSize: 42 }),
    ];
    const nd = await upload(lines.join("\n"), "application/x-ndjson");
    expect(await waitForImport(t.app, token, nd.json().id)).toMatchObject({
      created: 2501,
      unmappedColumns: ["shoeSize"],
      columnMapping: { email: "email", shoeSize: null },
    });
  });

  it("reports a bad row alone with its reason, column and row number; the rest go in", async () => {
    const csv = [
      "email,givenName,dateOfBirth,inactive,correspondenceCountryId",
      "ok1@example.org,Ok,1990-01-01,no,Australia",
      "not-an-email,Bad,1990-01-01,no,AU",
      "ok2@example.org,Ok,1990-02-30,no,",
      "ok3@example.org,Ok,,maybe,",
      "ok4@example.org,Ok,,,Atlantis",
      "ok5@example.org,Ok,,yes,NZ",
    ].join("\n");
    const res = await upload(csv, "text/csv");
    const done = await waitForImport(t.app, token, res.json().id);
    expect(done).toMatchObject({ state: "completed", rowsRead: 6, created: 2, failed: 4 });

    const errors = await t.app.inject({
      url: `/api/v1/imports/${res.json().id}/results?only=errors&format=ndjson`,
      headers: auth(),
    });
    expect(errors.headers["content-type"]).toContain("application/x-ndjson");
    const lines = errors.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        row: 2,
        status: "error",
        contactId: null,
        errorCode: "CONTACT_EMAIL_INVALID",
        field: "email",
        message: expect.stringContaining("not-an-email"),
      },
      {
        row: 3,
        status: "error",
        contactId: null,
        errorCode: "CONTACT_DATE_INVALID",
        field: "dateOfBirth",
        message: expect.any(String),
      },
      {
        row: 4,
        status: "error",
        contactId: null,
        errorCode: "CONTACT_FIELD_INVALID",
        field: "inactive",
        message: expect.stringContaining("maybe"),
      },
      {
        row: 5,
        status: "error",
        contactId: null,
        errorCode: "CONTACT_REFERENCE_UNKNOWN",
        field: "correspondenceCountryId",
        message: expect.stringContaining("Atlantis"),
      },
    ]);

    const all = await t.app.inject({ url: `/api/v1/imports/${res.json().id}/results`, headers: auth() });
    expect(all.headers["content-type"]).toContain("text/csv");
    const rows = all.body.trim().split("\r\n");
    expect(rows[0]).toBe("row,status,contactId,errorCode,field,message");
    expect(rows).toHaveLength(7);
    expect(rows[1]).toMatch(/^1,created,\d+,,,$/);
    expect(rows[6]).toMatch(/^6,created,\d+,,,$/);

    // Without a format in the query the Accept header chooses; the query wins over it.
    const results = (accept: string, query = "") =>
      t.app.inject({
        url: `/api/v1/imports/${res.json().id}/results?only=errors${query}`,
        headers: { ...auth(), accept },
      });
    const asked = await results("application/x-ndjson");
    expect(asked.headers["content-type"]).toContain("application/x-ndjson");
    expect(
      asked.body
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).row),
    ).toEqual([2, 3, 4, 5]);
    expect((await results("application/ndjson, text/csv;q=0.5")).headers["content-type"]).toContain("ndjson");
    expect((await results("text/csv, application/x-ndjson")).headers["content-type"]).toContain("text/csv");
    expect((await results("*/*")).headers["content-type"]).toContain("text/csv");
    expect((await results("application/x-ndjson", "&format=csv")).headers["content-type"]).toContain(
      "text/csv",
    );
  });

  it("gives the failed rows back as the file had them, with their errors, ready to fix and import again", async () => {
    const csv = [
      "External ID,Email Address,First Name,Mobile",
      "FR-1,fr1@example.org,Fine,+61 400 000 001",
      'FR-2,not-an-email,"Bad, Email",+61 400 000 002',
      "FR-3,fr3@example.org,Ragged,x,extra",
      "FR-4,fr4@example.org,=Formula,",
      "FR-5,also-bad,Two,",
    ].join("\n");
    const res = await upload(csv, "text/csv", "?idProperty=external_id");
    const id = res.json().id;
    expect(await waitForImport(t.app, token, id)).toMatchObject({
      state: "completed",
      created: 2,
      failed: 3,
    });
    const failed = await t.app.inject({ url: `/api/v1/imports/${id}/failed-rows`, headers: auth() });
    expect(failed.statusCode).toBe(200);
    expect(failed.headers["content-type"]).toContain("text/csv");
    expect(failed.headers["content-disposition"]).toContain(`import-${id}-failed-rows.csv`);
    const lines = failed.body.trim().split("\r\n");
    expect(lines).toEqual([
      "tributary_row,tributary_error_code,tributary_error_field,tributary_error_message,External ID,Email Address,First Name,Mobile",
      `2,CONTACT_EMAIL_INVALID,Email Address,email 'not-an-email' is not an email address,FR-2,not-an-email,"Bad, Email",'+61 400 000 002`,
      // A ragged row comes back with every cell it had, the one past the header too.
      '3,CSV_RAGGED_ROW,,"expected 4 cells as in the header, got 5",FR-3,fr3@example.org,Ragged,x,extra',
      "5,CONTACT_EMAIL_INVALID,Email Address,email 'also-bad' is not an email address,FR-5,also-bad,Two,",
    ]);

    // Fixed in place and sent back, the same file goes in whole: the tributary_ columns map to nothing.
    const fixed = failed.body
      .replace("not-an-email,", "fr2@example.org,")
      .replace("also-bad,", "fr5@example.org,")
      .replace(",x,extra", ",+61 400 000 003");
    const again = await upload(fixed, "text/csv", "?idProperty=external_id");
    expect(await waitForImport(t.app, token, again.json().id)).toMatchObject({ created: 3, failed: 0 });
    const person = (await t.app.inject({ url: "/api/v1/contacts?q=fr2@example.org", headers: auth() })).json()
      .data;
    expect(person).toMatchObject([{ givenName: "Bad, Email", phoneMobile: "+61 400 000 002" }]);

    const none = await t.app.inject({
      url: `/api/v1/imports/${again.json().id}/failed-rows`,
      headers: auth(),
    });
    // No failed row: the header alone, the file's own columns after the four, never the four twice.
    expect(none.body.trim()).toBe(
      "tributary_row,tributary_error_code,tributary_error_field,tributary_error_message,External ID,Email Address,First Name,Mobile",
    );
    // Sent back still broken, it fails again: its own four columns are replaced, not repeated.
    const stillBad = await upload(
      failed.body.replace("also-bad,", "fr5@example.org,"),
      "text/csv",
      "?idProperty=external_id",
    );
    expect(await waitForImport(t.app, token, stillBad.json().id)).toMatchObject({ failed: 2 });
    const twice = await t.app.inject({
      url: `/api/v1/imports/${stillBad.json().id}/failed-rows`,
      headers: auth(),
    });
    expect(twice.body.split("\r\n")[0]).toBe(
      "tributary_row,tributary_error_code,tributary_error_field,tributary_error_message,External ID,Email Address,First Name,Mobile",
    );

    const nd = await upload(
      [
        JSON.stringify({ email: "nd-fr@example.org", tags: ["a"] }),
        "{broken",
        JSON.stringify({ email: "bad" }),
      ].join("\n"),
      "application/x-ndjson",
    );
    await waitForImport(t.app, token, nd.json().id);
    const ndFailed = await t.app.inject({
      url: `/api/v1/imports/${nd.json().id}/failed-rows`,
      headers: auth(),
    });
    expect(ndFailed.headers["content-type"]).toContain("application/x-ndjson");
    expect(
      ndFailed.body
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([
      // A line that is not JSON comes back as its text; a record as itself, its failure beside its keys.
      {
        tributary_row: 2,
        tributary_errors: [{ code: "NDJSON_INVALID_LINE", field: null, message: expect.any(String) }],
        tributary_source: "{broken",
      },
      {
        tributary_row: 3,
        tributary_errors: [
          { code: "CONTACT_EMAIL_INVALID", field: "email", message: "email 'bad' is not an email address" },
        ],
        email: "bad",
      },
    ]);
    // Fixed where it stands and imported again: the record goes in, the `tributary_` keys feed nothing.
    // Sent back unfixed, the unreadable line keeps its text for the next round.
    const unfixed = await upload(ndFailed.body, "application/x-ndjson");
    await waitForImport(t.app, token, unfixed.json().id);
    const round2 = await t.app.inject({
      url: `/api/v1/imports/${unfixed.json().id}/failed-rows`,
      headers: auth(),
    });
    expect(JSON.parse(round2.body.split("\n")[0])).toMatchObject({
      tributary_row: 1,
      tributary_source: "{broken",
    });
    const ndFixed = ndFailed.body.replace('"email":"bad"', '"email":"nd-fixed@example.org"');
    const ndAgain = await upload(ndFixed.split("\n").slice(1).join("\n"), "application/x-ndjson");
    expect(await waitForImport(t.app, token, ndAgain.json().id)).toMatchObject({
      state: "completed",
      created: 1,
      failed: 0,
      unmappedColumns: ["tributary_row", "tributary_errors"],
    });
  });

  it("a failed-rows CSV keeps the file's columns when its only failed row could not be read", async () => {
    const res = await upload(
      'email,givenName\nuq1@example.org,A\n"uq2@example.org,B\nuq3@example.org,C\n',
      "text/csv",
    );
    expect(await waitForImport(t.app, token, res.json().id)).toMatchObject({ created: 1, failed: 1 });
    const failed = await t.app.inject({
      url: `/api/v1/imports/${res.json().id}/failed-rows`,
      headers: auth(),
    });
    expect(failed.body.trim().split("\r\n")).toEqual([
      "tributary_row,tributary_error_code,tributary_error_field,tributary_error_message,email,givenName",
      "2,CSV_UNCLOSED_QUOTE,,the row opens a quote that is never closed; no later row was read,,",
    ]);
  });

  it("answers 409 for the failed rows of a job that has not ended, 404 for another tenant's", async () => {
    const job = await uploadingJob(t.store.db, t.tenant.id);
    const early = await t.app.inject({ url: `/api/v1/imports/${job.id}/failed-rows`, headers: auth() });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toEqual({
      error: {
        code: "IMPORT_NOT_ENDED",
        message: `import ${job.id} is uploading: its failed rows are gathered when it ends`,
      },
    });
    const other = await createTenant(t.store.db, `Other failed rows ${engine}`);
    const otherToken = await t.token(["contacts:write"], other.id);
    const hidden = await t.app.inject({
      url: `/api/v1/imports/${job.id}/failed-rows`,
      headers: { authorization: `Bearer ${otherToken}` },
    });
    expect(hidden.statusCode).toBe(404);
  });

  it("reads a file in the encoding its sender names: Windows-1252 (Latin-1) from Excel, UTF-16", async () => {
    // "Zoë Müller" and a bad email, as Excel on Windows saves a CSV: Windows-1252 bytes, CRLF.
    const latin1 = Buffer.concat([
      Buffer.from("External ID,First Name,Last Name,Email\r\nENC-1,Zo"),
      Buffer.from([0xeb]),
      Buffer.from(",M"),
      Buffer.from([0xfc]),
      Buffer.from("ller,zoe@example.org\r\nENC-2,Ren"),
      Buffer.from([0xe9]),
      Buffer.from(",Bad,not-an-email\r\n"),
    ]);
    const plain = await upload(latin1, "text/csv", "?idProperty=external_id");
    expect(await waitForImport(t.app, token, plain.json().id)).toMatchObject({ created: 0, failed: 2 });

    const named = await upload(gzipSync(latin1), "text/csv", "?idProperty=external_id&encoding=latin1");
    expect(named.statusCode).toBe(202);
    expect(named.json()).toMatchObject({ encoding: "windows-1252" });
    expect(await waitForImport(t.app, token, named.json().id)).toMatchObject({ created: 1, failed: 1 });
    const zoe = (await t.app.inject({ url: "/api/v1/contacts?q=zoe@example.org", headers: auth() })).json()
      .data;
    expect(zoe).toMatchObject([{ givenName: "Zoë", surname: "Müller" }]);
    const failed = await t.app.inject({
      url: `/api/v1/imports/${named.json().id}/failed-rows`,
      headers: auth(),
    });
    expect(failed.body).toContain("ENC-2,René,Bad,not-an-email");

    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from("External ID,First Name\nENC-3,Søren\n", "utf16le"),
    ]);
    const refused = await upload(utf16, "text/csv", "?idProperty=external_id");
    expect(refused.statusCode).toBe(400);
    const wide = await upload(utf16, "text/csv", "?idProperty=external_id&encoding=utf-16le");
    expect(await waitForImport(t.app, token, wide.json().id)).toMatchObject({ created: 1, failed: 0 });

    const preview = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports/preview?idProperty=external_id&encoding=cp1252",
      headers: { ...auth(), "content-type": "text/csv" },
      payload: latin1,
    });
    expect(preview.json()).toMatchObject({
      encoding: "windows-1252",
      rows: [{ fields: { givenName: "Zoë" } }, {}],
    });

    const unknown = await upload(latin1, "text/csv", "?encoding=klingon");
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message:
          "encoding 'klingon' is not one a reader knows (utf-8, windows-1252, iso-8859-15, utf-16le, …)",
        details: [{ code: "REQUEST_BODY_INVALID", field: "encoding", message: "unknown encoding" }],
      },
    });
  });

  it("reads day-first or month-first dates in the dateFormat the upload names, as HubSpot's imports do", async () => {
    const csv =
      "External ID,Email,DOB,Visa Expiry Date\nDF-1,df1@example.org,31/12/1990,1/2/2030\nDF-2,df2@example.org,1990-06-15,\nDF-3,df3@example.org,31/02/1990,\n";
    const plain = await upload(csv, "text/csv", "?idProperty=external_id");
    expect(plain.json()).toMatchObject({ dateFormat: "YEAR_MONTH_DAY" });
    expect(await waitForImport(t.app, token, plain.json().id)).toMatchObject({ created: 1, failed: 2 });
    const said = await t.app.inject({
      url: `/api/v1/imports/${plain.json().id}/results?only=errors`,
      headers: auth(),
    });
    expect(said.body).toContain(
      "1,error,,CONTACT_DATE_INVALID,DOB,DOB '31/12/1990' is not YYYY-MM-DD; name the file's dateFormat (DAY_MONTH_YEAR or MONTH_DAY_YEAR) to read it\r\n",
    );

    const dayFirst = await upload(csv, "text/csv", "?idProperty=external_id&dateFormat=DAY_MONTH_YEAR");
    expect(dayFirst.statusCode).toBe(202);
    const job = await waitForImport(t.app, token, dayFirst.json().id);
    expect(job).toMatchObject({
      dateFormat: "DAY_MONTH_YEAR",
      created: 1,
      updated: 0,
      unchanged: 1,
      failed: 1,
    });
    const people = (await t.app.inject({ url: "/api/v1/contacts?q=DF-1", headers: auth() })).json().data;
    expect(people).toMatchObject([{ dateOfBirth: "1990-12-31", visaExpiryDate: "2030-02-01" }]);
    const errors = await t.app.inject({
      url: `/api/v1/imports/${job.id}/results?only=errors`,
      headers: auth(),
    });
    expect(errors.body).toContain(
      "3,error,,CONTACT_DATE_INVALID,DOB,DOB '31/02/1990' is not a date as DAY_MONTH_YEAR (DD/MM/YYYY)",
    );

    const preview = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports/preview?idProperty=external_id&dateFormat=MONTH_DAY_YEAR",
      headers: { ...auth(), "content-type": "text/csv" },
      payload: "External ID,DOB\nDF-9,12/31/1990\n",
    });
    expect(preview.json()).toMatchObject({
      dateFormat: "MONTH_DAY_YEAR",
      rows: [{ status: "created", fields: { dateOfBirth: "1990-12-31" } }],
    });

    const unknown = await upload(csv, "text/csv", "?dateFormat=DD/MM/YYYY");
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message: "dateFormat 'DD/MM/YYYY' is not one of YEAR_MONTH_DAY, DAY_MONTH_YEAR, MONTH_DAY_YEAR",
        details: [{ code: "REQUEST_BODY_INVALID", field: "dateFormat", message: "unknown date format" }],
      },
    });
    const vendorShape = await upload(
      '{"externalId":"S-1"}\n',
      "application/x-ndjson",
      "?shape=sam&dateFormat=DAY_MONTH_YEAR",
    );
    expect(vendorShape.statusCode).toBe(400);
    expect(vendorShape.json()).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message:
          "dateFormat applies to the native shape; the sam shape reads dates as its vendor's page writes them",
        details: [{ code: "REQUEST_BODY_INVALID", field: "dateFormat", message: "not for this shape" }],
      },
    });
  });

  it("takes NDJSON and a JSON array, gzip or not, and multipart with options as form fields", async () => {
    const ndjson = [
      JSON.stringify({
        email: "nd1@example.org",
        givenName: "Nd",
        identifiers: { external_id: "ND-1" },
        tags: ["vip"],
      }),
      "{broken",
      JSON.stringify({ email: "nd2@example.org", inactive: true }),
    ].join("\n");
    const nd = await upload(gzipSync(ndjson), "application/x-ndjson");
    expect(await waitForImport(t.app, token, nd.json().id)).toMatchObject({
      state: "completed",
      created: 2,
      failed: 1,
    });
    const ndErrors = await t.app.inject({
      url: `/api/v1/imports/${nd.json().id}/results?only=errors&format=ndjson`,
      headers: auth(),
    });
    expect(JSON.parse(ndErrors.body.trim())).toMatchObject({ row: 2, errorCode: "NDJSON_INVALID_LINE" });

    const json = JSON.stringify([
      { "E-mail": "js1@example.org", "First Name": "Js" },
      { email: "js2@example.org" },
    ]);
    const js = await upload(json, "application/json");
    expect(await waitForImport(t.app, token, js.json().id)).toMatchObject({ state: "completed", created: 2 });

    const boundary = "----tributary";
    const form = [
      `--${boundary}\r\nContent-Disposition: form-data; name="idProperty"\r\n\r\nexternal_id`,
      `--${boundary}\r\nContent-Disposition: form-data; name="mapping"\r\n\r\n${JSON.stringify({ Ref: "identifiers.external_id", Mail: "email", Nom: "surname" })}`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="people.csv"\r\nContent-Type: text/csv\r\n\r\nRef,Mail,Nom,Ignored\nMP-1,mp1@example.org,Curie,x\n`,
      `--${boundary}--\r\n`,
    ].join("\r\n");
    const mp = await upload(form, `multipart/form-data; boundary=${boundary}`);
    expect(mp.statusCode).toBe(202);
    expect(mp.json()).toMatchObject({ fileName: "people.csv", idProperty: "external_id" });
    expect(await waitForImport(t.app, token, mp.json().id)).toMatchObject({ state: "completed", created: 1 });
  });

  /** A multipart/form-data body of the given parts, in order: fields as name → value, the file as a part. */
  function formBody(parts: Array<[string, string] | { file: string; type?: string; name?: string }>) {
    const boundary = "----tributary-late";
    const body = parts
      .map((part) =>
        Array.isArray(part)
          ? `--${boundary}\r\nContent-Disposition: form-data; name="${part[0]}"\r\n\r\n${part[1]}`
          : `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${part.name ?? "people.csv"}"\r\nContent-Type: ${part.type ?? "text/csv"}\r\n\r\n${part.file}`,
      )
      .concat(`--${boundary}--\r\n`)
      .join("\r\n");
    return { body, contentType: `multipart/form-data; boundary=${boundary}` };
  }

  it.each([
    {
      title: "a body that does not match its boundary",
      contentType: "multipart/form-data; boundary=xyz",
      body: "garbage",
    },
    { title: "no boundary in the content type", contentType: "multipart/form-data", body: "garbage" },
    {
      title: "a file part the body ends inside of",
      contentType: "multipart/form-data; boundary=cut",
      body: '--cut\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\nContent-Type: text/csv\r\n\r\nemail\r\na@example.org\r\n',
    },
    {
      title: "a field part the body ends inside of, after the file",
      contentType: "multipart/form-data; boundary=cut",
      body: '--cut\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\nContent-Type: text/csv\r\n\r\nemail\r\na@example.org\r\n--cut\r\nContent-Disposition: form-data; name="dryRun"\r\n\r\ntr',
    },
  ])(
    "a malformed form ($title) is 400 REQUEST_BODY_INVALID on the upload and the preview, never a 5xx",
    async ({ contentType, body }) => {
      const jobsBefore = (await t.app.inject({ url: "/api/v1/imports?limit=200", headers: auth() })).json()
        .data.length;
      for (const url of ["/api/v1/imports", "/api/v1/imports/preview"]) {
        const res = await t.app.inject({
          method: "POST",
          url,
          headers: { ...auth(), "content-type": contentType },
          payload: body,
        });
        expect(res.statusCode).toBe(400);
        expect(res.json().error.code).toBe("REQUEST_BODY_INVALID");
        expect(res.json().error.message).toMatch(
          /^the multipart\/form-data body cannot be read \(.+\): send the boundary/,
        );
      }
      const jobsAfter = (await t.app.inject({ url: "/api/v1/imports?limit=200", headers: auth() })).json()
        .data.length;
      expect(jobsAfter).toBe(jobsBefore);
    },
  );

  describe("Idempotency-Key", () => {
    const jobCount = async () =>
      (await t.app.inject({ url: "/api/v1/imports?limit=200", headers: auth() })).json().data.length;
    const post = (key: string, body: string, contentType = "text/csv", query = "?idProperty=external_id") =>
      t.app.inject({
        method: "POST",
        url: `/api/v1/imports${query}`,
        headers: { ...auth(), "content-type": contentType, "idempotency-key": key },
        payload: body,
      });

    it("the same upload with the same key replays the first answer and stores no second job", async () => {
      const csv = peopleCsv(20, { start: 7100 });
      const first = await post("upload-once", csv);
      expect(first.statusCode).toBe(202);
      const jobs = await jobCount();
      const again = await post("upload-once", csv);
      expect(again.statusCode).toBe(202);
      expect(again.headers["idempotent-replayed"]).toBe("true");
      expect(again.headers.location).toBe(`/api/v1/imports/${first.json().id}`);
      expect(again.body).toBe(first.body);
      expect(await jobCount()).toBe(jobs);
      expect(await waitForImport(t.app, token, first.json().id)).toMatchObject({
        state: "completed",
        created: 20,
      });
    });

    it("the same key with another file or other options is a 422 and stores nothing", async () => {
      const csv = peopleCsv(5, { start: 7200 });
      expect((await post("upload-other", csv)).statusCode).toBe(202);
      const jobs = await jobCount();
      for (const res of [
        await post("upload-other", peopleCsv(5, { start: 7300 })),
        await post("upload-other", csv, "text/csv", "?idProperty=external_id&dryRun=true"),
      ]) {
        expect(res.statusCode).toBe(422);
        expect(res.json().error.code).toBe("IDEMPOTENCY_KEY_REUSED");
      }
      expect(await jobCount()).toBe(jobs);
    });

    it("a form sent again with another boundary is the same upload; its fields after the file count", async () => {
      const csv = peopleCsv(3, { start: 7400 });
      const form = (boundary: string, dryRun: string) =>
        formBody([{ file: csv }, ["idProperty", "external_id"], ["dryRun", dryRun]]).body.replaceAll(
          "----tributary-late",
          boundary,
        );
      const send = (boundary: string, dryRun = "true") =>
        post("upload-form", form(boundary, dryRun), `multipart/form-data; boundary=${boundary}`, "");
      const first = await send("one");
      expect(first.statusCode).toBe(202);
      const again = await send("two");
      expect(again.headers["idempotent-replayed"]).toBe("true");
      expect(again.json().id).toBe(first.json().id);
      expect((await send("three", "false")).json().error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    });

    it("a refused upload keeps nothing, its key included: the fixed file may use the same key", async () => {
      const refused = await post("upload-fixed", "colour,size\nred,L\n");
      expect(refused.statusCode).toBe(400);
      const fixed = await post("upload-fixed", peopleCsv(2, { start: 7500 }));
      expect(fixed.statusCode).toBe(202);
      expect(fixed.headers["idempotent-replayed"]).toBeUndefined();
    });
  });

  it("takes a form's fields after its file part as well as before it: none is silently dropped", async () => {
    const before = (
      await t.app.inject({ url: "/api/v1/contacts?q=late1@example.org", headers: auth() })
    ).json().data.length;
    const csv = "Ref,Mail\nLATE-1,late1@example.org\nLATE-2,late2@example.org\n";
    const dry = formBody([
      { file: csv },
      ["idProperty", "external_id"],
      ["dryRun", "true"],
      ["mapping", JSON.stringify({ Ref: "identifiers.external_id", Mail: "email" })],
    ]);
    const res = await upload(dry.body, dry.contentType);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      idProperty: "external_id",
      dryRun: true,
      mapping: { Ref: "identifiers.external_id" },
    });
    expect(await waitForImport(t.app, token, res.json().id)).toMatchObject({
      state: "completed",
      dryRun: true,
      created: 2,
    });
    const after = (
      await t.app.inject({ url: "/api/v1/contacts?q=late1@example.org", headers: auth() })
    ).json().data.length;
    expect(after).toBe(before);

    // A file part whose type names no format, and the format in a later field.
    const typed = formBody([
      {
        file: "External ID,Email\nLATE-3,late3@example.org\nLATE-4,late4@example.org\n",
        type: "application/octet-stream",
        name: "people.dat",
      },
      ["format", "csv"],
      ["idProperty", "external_id"],
    ]);
    const written = await upload(typed.body, typed.contentType);
    expect(written.statusCode).toBe(202);
    expect(written.json()).toMatchObject({ format: "csv", idProperty: "external_id", dryRun: false });
    expect(await waitForImport(t.app, token, written.json().id)).toMatchObject({
      state: "completed",
      created: 2,
    });

    const previewForm = formBody([
      { file: csv },
      ["idProperty", "external_id"],
      ["mapping", JSON.stringify({ Ref: "identifiers.external_id", Mail: "email" })],
    ]);
    const preview = await t.app.inject({
      method: "POST",
      url: "/api/v1/imports/preview",
      headers: { ...auth(), "content-type": previewForm.contentType },
      payload: previewForm.body,
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({
      idProperty: "external_id",
      rows: [
        { row: 1, status: "created" },
        { row: 2, status: "created" },
      ],
    });
  });

  it("refuses a bad form field after the file part, and keeps no job or upload of it", async () => {
    const jobsBefore = (await t.app.inject({ url: "/api/v1/imports?limit=200", headers: auth() })).json().data
      .length;
    const file = { file: "email\nx@example.org\n" };
    const refusal = (code: string, message: string, field?: string, detail?: string) => ({
      error: {
        code,
        message,
        ...(field ? { details: [{ code, field, message: detail }] } : {}),
      },
    });
    const cases: Array<
      [Array<[string, string] | { file: string; type?: string; name?: string }>, number, unknown]
    > = [
      [
        [file, ["colour", "blue"]],
        400,
        refusal(
          "REQUEST_UNKNOWN_FIELD",
          "Unknown form field 'colour'",
          "colour",
          "not one of shape, idProperty, mapping, format, encoding, dateFormat, dryRun",
        ),
      ],
      [
        [file, ["dryRun", "yes"]],
        400,
        refusal(
          "REQUEST_BODY_INVALID",
          "form field dryRun: must be true or false",
          "dryRun",
          "must be true or false",
        ),
      ],
      [
        [["format", "xml"], file],
        400,
        refusal(
          "REQUEST_BODY_INVALID",
          "form field format: must be one of csv, ndjson, json",
          "format",
          "must be one of csv, ndjson, json",
        ),
      ],
      [
        [file, ["shape", "nonsense"]],
        400,
        refusal(
          "REQUEST_BODY_INVALID",
          "shape 'nonsense' is not one of native, sam, hobsons, servicestack",
          "shape",
          "unknown shape",
        ),
      ],
      [
        [file, { ...file, name: "second.csv" }],
        400,
        refusal("REQUEST_BODY_INVALID", "the form has more than one file part"),
      ],
      [
        [{ ...file, type: "application/octet-stream", name: "x.dat" }],
        415,
        refusal(
          "REQUEST_UNSUPPORTED_MEDIA_TYPE",
          "the file part is application/octet-stream: send text/csv, application/x-ndjson or application/json, gzip allowed (or set format)",
        ),
      ],
    ];
    for (const [parts, status, body] of cases) {
      const form = formBody(parts);
      const res = await upload(form.body, form.contentType);
      expect(res.statusCode, JSON.stringify(parts)).toBe(status);
      expect(res.json(), JSON.stringify(parts)).toEqual(body);
    }
    const jobsAfter = (await t.app.inject({ url: "/api/v1/imports?limit=200", headers: auth() })).json().data
      .length;
    expect(jobsAfter).toBe(jobsBefore);
  });

  const previewCsv = (csv: string) =>
    t.app.inject({
      method: "POST",
      url: "/api/v1/imports/preview",
      headers: { ...auth(), "content-type": "text/csv" },
      payload: csv,
    });

  it("previews the first rows: mapping, would-be outcomes, nothing written", async () => {
    const csv = [
      "Email Address,First Name,Favourite Colour",
      "pv1@example.org,Pre,blue",
      "person7@example.org,Seven,red",
      "bad,Bad,green",
      "PV1@example.org,Again,blue",
    ].join("\n");
    const res = await previewCsv(csv);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      mapping: { "Email Address": "email", "First Name": "givenName", "Favourite Colour": null },
      unmappedColumns: ["Favourite Colour"],
      rows: [
        { row: 1, status: "created", contactId: null, errors: [] },
        { row: 2, status: "updated", contactId: expect.any(Number), errors: [] },
        { row: 3, status: "error", errors: [{ code: "CONTACT_EMAIL_INVALID", field: "Email Address" }] },
        // The contact row 1 would create: no id, as the preview's rollback takes it back.
        { row: 4, status: "updated", contactId: null, errors: [] },
      ],
    });
    const search = await t.app.inject({ url: "/api/v1/contacts?q=pv1@example.org", headers: auth() });
    expect(search.json().data).toEqual([]);
  });

  it("a preview shows each row's identifiers and tags beside its fields", async () => {
    const csv = [
      "External ID,Email,Tags",
      "pv-x1,pvx1@example.org,Open Day;Alumni",
      "pv-x2,pvx2@example.org,",
    ].join("\n");
    const res = await previewCsv(csv);
    expect(res.statusCode).toBe(200);
    const [first, second] = res.json().rows;
    expect(first).toMatchObject({
      status: "created",
      fields: { email: "pvx1@example.org" },
      identifiers: { external_id: "pv-x1" },
      related: { tags: [{ tag: "Open Day" }, { tag: "Alumni" }] },
    });
    expect(second.identifiers).toEqual({ external_id: "pv-x2" });
    expect(second).not.toHaveProperty("related");
  });

  it("a preview names, for a field two columns feed, the column each row's value came from", async () => {
    const csv = ["Email,E-mail,First Name", ",pv-bad-one,A", "pv bad two,,B", "pv3@example.org,,C"].join(
      "\n",
    );
    const res = await previewCsv(csv);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      mapping: { Email: "email", "E-mail": "email", "First Name": "givenName" },
      rows: [
        { row: 1, status: "error", errors: [{ code: "CONTACT_EMAIL_INVALID", field: "E-mail" }] },
        { row: 2, status: "error", errors: [{ code: "CONTACT_EMAIL_INVALID", field: "Email" }] },
        { row: 3, status: "created", errors: [] },
      ],
    });
  });

  it("dry run reports outcomes and writes no contact", async () => {
    const res = await upload(
      peopleCsv(5, { start: 5000 }),
      "text/csv",
      "?idProperty=external_id&dryRun=true",
    );
    const done = await waitForImport(t.app, token, res.json().id);
    expect(done).toMatchObject({ state: "completed", dryRun: true, created: 5 });
    const search = await t.app.inject({ url: "/api/v1/contacts?q=person5001@example.org", headers: auth() });
    expect(search.json().data).toEqual([]);
  });

  it("cancels a job; a finished job stays as it ended; other tenants cannot see it", async () => {
    const res = await upload(peopleCsv(3, { start: 9000 }), "text/csv");
    const id = res.json().id;
    const cancel = await t.app.inject({ method: "DELETE", url: `/api/v1/imports/${id}`, headers: auth() });
    expect(cancel.statusCode).toBe(200);
    expect(["cancelled", "completed"]).toContain(cancel.json().state);
    const after = await waitForImport(t.app, token, id);
    expect(after.state).toBe(cancel.json().state);

    const other = await t.token(
      ["contacts:write"],
      (await import("../src/store/tenants.js").then((m) => m.createTenant(t.store.db, `Other ${engine}`))).id,
    );
    const peek = await t.app.inject({
      url: `/api/v1/imports/${id}`,
      headers: { authorization: `Bearer ${other}` },
    });
    expect(peek.statusCode).toBe(404);
    expect(peek.json().error.code).toBe("REQUEST_NOT_FOUND");
  });

  it.each([
    { method: "GET", path: "" },
    { method: "DELETE", path: "" },
    { method: "GET", path: "/results" },
    { method: "GET", path: "/failed-rows" },
  ] as const)(
    "$method /imports/{id}$path of an id beyond bigint is an unknown job (404)",
    async ({ method, path }) => {
      for (const id of ["99999999999999999999", "9223372036854775807", "9007199254740993"]) {
        const res = await t.app.inject({ method, url: `/api/v1/imports/${id}${path}`, headers: auth() });
        expect(res.statusCode).toBe(404);
        expect(res.json().error).toEqual({ code: "REQUEST_NOT_FOUND", message: `No import job ${id}` });
      }
    },
  );

  it("lists a tenant's jobs newest first, by state, page by page; another tenant sees none of them", async () => {
    const { createTenant } = await import("../src/store/tenants.js");
    const tenant = await createTenant(t.store.db, `Lister ${engine}`);
    const own = await t.token(["contacts:write"], tenant.id);
    const headers = { authorization: `Bearer ${own}` };
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({
        method: "POST",
        url: "/api/v1/imports?idProperty=external_id",
        headers: { ...headers, "content-type": "text/csv" },
        payload: peopleCsv(2, { start: 20_000 + i * 10 }),
      });
      expect(res.statusCode).toBe(202);
      ids.push(res.json().id);
      await waitForImport(t.app, own, res.json().id);
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? "limit=2" : `limit=2&cursor=${cursor}`;
      const page = await t.app.inject({ url: `/api/v1/imports?${query}`, headers });
      expect(page.statusCode).toBe(200);
      const body = page.json();
      expect(body.data.length).toBeLessThanOrEqual(2);
      for (const job of body.data) expect(job).toMatchObject({ state: "completed", rowsRead: 2, created: 2 });
      seen.push(...body.data.map((job: { id: number }) => job.id));
      cursor = body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([...ids].reverse());

    const completed = await t.app.inject({ url: "/api/v1/imports?state=completed", headers });
    expect(completed.json().data.map((job: { id: number }) => job.id)).toEqual([...ids].reverse());
    const running = await t.app.inject({ url: "/api/v1/imports?state=running", headers });
    expect(running.json()).toEqual({ data: [], nextCursor: null });
    // The suite's own tenant has jobs of its own, none of them this tenant's.
    await waitForImport(t.app, token, (await upload(peopleCsv(1, { start: 30_000 }), "text/csv")).json().id);
    const others = (await t.app.inject({ url: "/api/v1/imports?limit=200", headers: auth() })).json();
    expect(others.data.length).toBeGreaterThan(0);
    expect(others.data.some((job: { id: number }) => ids.includes(job.id))).toBe(false);

    const refused = async (query: string) => {
      const res = await t.app.inject({ url: `/api/v1/imports?${query}`, headers });
      expect(res.statusCode).toBe(400);
      return res.json();
    };
    const states = '"uploading" or "queued" or "running" or "completed" or "failed" or "cancelled"';
    expect(await refused("state=done")).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message: `state: must be ${states}`,
        details: [{ code: "REQUEST_BODY_INVALID", field: "state", message: `must be ${states}` }],
      },
    });
    expect(await refused("cursor=zzz")).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message: "cursor is not one this API gave out",
        details: [{ code: "REQUEST_BODY_INVALID", field: "cursor", message: "unknown cursor" }],
      },
    });
    expect(await refused("limit=0")).toEqual({
      error: {
        code: "REQUEST_BODY_INVALID",
        message: "limit: must be >= 1",
        details: [{ code: "REQUEST_BODY_INVALID", field: "limit", message: "must be >= 1" }],
      },
    });
    expect(await refused("sort=asc")).toEqual({
      error: {
        code: "REQUEST_UNKNOWN_FIELD",
        message: "sort: Unknown field 'sort'",
        details: [{ code: "REQUEST_UNKNOWN_FIELD", field: "sort", message: "Unknown field 'sort'" }],
      },
    });
  });

  it("takes SAM ContactJSON rows through the SAM shape, with its own field names in errors", async () => {
    const csv = [
      "externalId,firstname,lastname,email1,countryCode,contactModified",
      "SAM-1,Grace,Hopper,grace@example.org,US,1700000000000",
      "SAM-2,Alan,Turing,alan@example.org,ZZ,",
      "SAM-3,Bad,Mail,not-mail,,",
    ].join("\n");
    const res = await upload(csv, "text/csv", "?shape=sam");
    expect(res.json()).toMatchObject({ shape: "sam", idProperty: "external_id" });
    const done = await waitForImport(t.app, token, res.json().id);
    expect(done).toMatchObject({ state: "completed", created: 1, failed: 2 });
    const errors = await t.app.inject({
      url: `/api/v1/imports/${res.json().id}/results?only=errors&format=ndjson`,
      headers: auth(),
    });
    expect(
      errors.body
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toMatchObject([
      { row: 2, field: "countryCode", errorCode: "CONTACT_FIELD_INVALID" },
      { row: 3, field: "email1", errorCode: "CONTACT_EMAIL_INVALID" },
    ]);
    const search = await t.app.inject({ url: "/api/v1/contacts?q=grace@example.org", headers: auth() });
    expect(search.json().data[0]).toMatchObject({
      givenName: "Grace",
      surname: "Hopper",
      identifiers: { external_id: "SAM-1" },
      sourceModifiedAt: "2023-11-14T22:13:20.000Z",
    });
  });
});
