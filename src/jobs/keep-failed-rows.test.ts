import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../test/helpers/test-store.js";
import { keepFailedRowSources, readFailedRows } from "../store/imports/failed-rows.js";
import { recordChunk } from "../store/imports/import-results.js";
import { createTenant } from "../store/tenants.js";
import { createImport } from "./create-import.js";
import { keepFailedRows } from "./keep-failed-rows.js";

describe.each(testEngines)("keepFailedRows on %s", (engine) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(engine, "keep_failed_rows");
  });
  afterAll(() => store.dispose());

  it("keeps each failed row's source once: a run resumed after a kill adds only what is missing", async () => {
    const tenant = await createTenant(store.db, "Keeper");
    const csv = "email,givenName\na@example.org,A\nbad-2,B\nc@example.org,C\nbad-4,D\ne@example.org,E\n";
    const job = await createImport(
      store,
      { tenantId: tenant.id, actor: "test", format: "csv" },
      Readable.from([Buffer.from(csv)]),
    );
    const failure = (row: number) => ({ row, code: "CONTACT_EMAIL_INVALID", field: "email", message: "bad" });
    await store.db.transaction().execute(async (trx) => {
      await recordChunk(
        trx,
        tenant.id,
        job.id,
        {
          firstRow: 1,
          statuses: ["created", "error", "created", "error", "created"],
          contactIds: [1, 0, 2, 0, 3],
          errors: [failure(2), failure(4)],
        },
        { lastRow: 5, bytesRead: csv.length, read: 5, created: 3, updated: 0, unchanged: 0, failed: 2 },
      );
      // What a killed run had kept before it died: row 2's source.
      await keepFailedRowSources(trx, tenant.id, job.id, [{ row: 2, source: '{"kept":"before"}' }]);
    });
    await keepFailedRows(store, job);
    await keepFailedRows(store, job);
    const kept = [];
    for await (const row of readFailedRows(store.db, tenant.id, job.id)) kept.push(row);
    expect(kept).toEqual([
      {
        row: 2,
        errors: [{ code: "CONTACT_EMAIL_INVALID", field: "email", message: "bad" }],
        source: '{"kept":"before"}',
      },
      {
        row: 4,
        errors: [{ code: "CONTACT_EMAIL_INVALID", field: "email", message: "bad" }],
        source: '{"email":"bad-4","givenName":"D"}',
      },
    ]);
  });
});
