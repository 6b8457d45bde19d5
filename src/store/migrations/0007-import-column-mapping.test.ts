import { Migrator } from "kysely/migration";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uploadingJob } from "../../../test/helpers/import-files.js";
import { openTestStore, type TestStore, testEngines } from "../../../test/helpers/test-store.js";
import { getImportJob } from "../imports/import-jobs.js";
import { createTenant } from "../tenants.js";
import { migrationProvider } from "./index.js";

describe.each(testEngines)("migration 0007 (a job's applied column mapping) on %s", (engine) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(engine, "migration_0007");
  });
  afterAll(() => store.dispose());

  it("keeps a job's unmapped columns, in order, down to 0006 and up again", async () => {
    const tenant = await createTenant(store.db, "Migrating");
    const job = await uploadingJob(store.db, tenant.id);
    await store.executeSql(
      `update import_jobs set column_mapping = '[["Email","email"],["Shoe Size",null],["First Name","givenName"],["Hat",null]]'
       where id = ${job.id}`,
    );
    expect(await getImportJob(store.db, tenant.id, job.id)).toMatchObject({
      unmappedColumns: ["Shoe Size", "Hat"],
    });

    const migrator = new Migrator({ db: store.db, provider: migrationProvider });
    expect((await migrator.migrateTo("0006-import-upload-lz4")).error).toBeUndefined();
    const down = await store.executeSql(`select unmapped_columns from import_jobs where id = ${job.id}`);
    expect(down.rows).toEqual([{ unmapped_columns: ["Shoe Size", "Hat"] }]);

    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    // 0006 kept only the unmapped columns: they come back as columns with no field.
    expect(await getImportJob(store.db, tenant.id, job.id)).toMatchObject({
      unmappedColumns: ["Shoe Size", "Hat"],
      columnMapping: { "Shoe Size": null, Hat: null },
    });
  });
});
