import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../test/helpers/test-store.js";
import { readFailedRows } from "../store/imports/failed-rows.js";
import { getImportJob } from "../store/imports/import-jobs.js";
import { createTenant } from "../store/tenants.js";
import { cancelImport } from "./cancel-import.js";
import { createImport } from "./create-import.js";
import { runImport } from "./run-import.js";

const ndjson = (records: object[]) =>
  Readable.from([Buffer.from(records.map((r) => JSON.stringify(r)).join("\n"))]);

describe.each(testEngines)("runImport on %s", (engine) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(engine, "run_import");
  });
  afterAll(() => store.dispose());

  it("a resumed run keeps the unmapped columns earlier runs found, in the rows it skips", async () => {
    const tenant = await createTenant(store.db, "Resumer");
    const records = [
      { email: "r1@example.org", shoeSize: 41 },
      { email: "r2@example.org" },
      { email: "r3@example.org", hatSize: 7 },
      { email: "r4@example.org" },
    ];
    const job = await createImport(
      store,
      { tenantId: tenant.id, actor: "test", format: "ndjson" },
      ndjson(records),
    );
    let chunks = 0;
    const first = await runImport(store, tenant.id, job.id, {
      chunkRows: 2,
      shouldStop: () => chunks++ >= 1,
    });
    expect(first).toBe("stopped");
    const stopped = await getImportJob(store.db, tenant.id, job.id);
    expect(stopped?.checkpointRow).toBe(2);
    // The chunk read ahead (PostgreSQL) may have been mapped before the first one committed.
    expect(stopped?.unmappedColumns[0]).toBe("shoeSize");
    expect(await runImport(store, tenant.id, job.id, { chunkRows: 2 })).toBe("completed");
    expect(await getImportJob(store.db, tenant.id, job.id)).toMatchObject({
      rowsCreated: 4,
      unmappedColumns: ["shoeSize", "hatSize"],
      columnMapping: { email: "email", shoeSize: null, hatSize: null },
    });
  });

  it("a job cancelled part-way still gives back its failed rows as the file had them", async () => {
    const tenant = await createTenant(store.db, "Canceller");
    const csv = "email,givenName\nc1@example.org,A\nnot-an-email,B\nc3@example.org,C\nc4@example.org,D\n";
    const job = await createImport(
      store,
      { tenantId: tenant.id, actor: "test", format: "csv" },
      Readable.from([Buffer.from(csv)]),
    );
    let chunks = 0;
    expect(await runImport(store, tenant.id, job.id, { chunkRows: 2, shouldStop: () => chunks++ >= 1 })).toBe(
      "stopped",
    );
    const running = await getImportJob(store.db, tenant.id, job.id);
    expect(running).toMatchObject({ state: "running", rowsFailed: 1 });
    const cancelled = await cancelImport(store, running as NonNullable<typeof running>);
    expect(cancelled).toMatchObject({ state: "cancelled", rowsRead: 2, rowsCreated: 1, rowsFailed: 1 });
    const failed = [];
    for await (const row of readFailedRows(store.db, tenant.id, job.id)) failed.push(row);
    expect(failed).toEqual([
      {
        row: 2,
        errors: [
          {
            code: "CONTACT_EMAIL_INVALID",
            field: "email",
            message: "email 'not-an-email' is not an email address",
          },
        ],
        source: '{"email":"not-an-email","givenName":"B"}',
      },
    ]);
    // Cancelling again answers the job as it stands.
    expect(await cancelImport(store, cancelled)).toMatchObject({ state: "cancelled", rowsRead: 2 });
  });

  it("a job cancelled while its chunks commit keeps the source of every failed row it recorded", async () => {
    const tenant = await createTenant(store.db, "RaceCanceller");
    // Every 10th row fails; small chunks keep committing while the cancel runs.
    const lines = ["email,givenName"];
    for (let row = 1; row <= 3000; row++)
      lines.push(row % 10 === 0 ? `bad-${row},N${row}` : `r${row}@example.org,N${row}`);
    const job = await createImport(
      store,
      { tenantId: tenant.id, actor: "test", format: "csv" },
      Readable.from([Buffer.from(`${lines.join("\n")}\n`)]),
    );
    let cancelling: Promise<unknown> | undefined;
    const run = runImport(store, tenant.id, job.id, {
      chunkRows: 50,
      onChunk: (now) => {
        if (!cancelling && now.rowsRead >= 500) cancelling = cancelImport(store, now);
      },
    });
    expect(await run).toBe("cancelled");
    await cancelling;
    const ended = await getImportJob(store.db, tenant.id, job.id);
    expect(ended?.state).toBe("cancelled");
    const failed = [];
    for await (const row of readFailedRows(store.db, tenant.id, job.id)) failed.push(row);
    expect(failed).toHaveLength(ended?.rowsFailed ?? -1);
    expect(failed.filter((row) => row.source === null).map((row) => row.row)).toEqual([]);
  });
});
