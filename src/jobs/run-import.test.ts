import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../test/helpers/test-store.js";
import { getImportJob } from "../store/imports/import-jobs.js";
import { createTenant } from "../store/tenants.js";
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
    expect(await getImportJob(store.db, tenant.id, job.id)).toMatchObject({
      checkpointRow: 2,
      unmappedColumns: ["shoeSize"],
    });
    expect(await runImport(store, tenant.id, job.id, { chunkRows: 2 })).toBe("completed");
    expect(await getImportJob(store.db, tenant.id, job.id)).toMatchObject({
      rowsCreated: 4,
      unmappedColumns: ["shoeSize", "hatSize"],
    });
  });
});
