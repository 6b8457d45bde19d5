import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uploadingJob } from "../../test/helpers/import-files.js";
import { openTestStore, type TestStore, testDatabaseUrl } from "../../test/helpers/test-store.js";
import { openStore, type Store } from "../store/database.js";
import { whileHoldingImportJob } from "../store/imports/import-job-lock.js";
import { createTenant } from "../store/tenants.js";
import { createImportRunner } from "./import-runner.js";
import type { RunEnd } from "./run-import.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!testDatabaseUrl)("the pg-boss import runner", () => {
  let store: TestStore;
  let otherProcess: Store;
  let tenantId: number;
  beforeAll(async () => {
    store = await openTestStore("postgres", "import_runner");
    otherProcess = await openStore({ databaseUrl: store.url });
    tenantId = (await createTenant(store.db, "Runner")).id;
  });
  afterAll(async () => {
    await otherProcess.close();
    await store.dispose();
  });

  async function jobIn(state: "queued" | "running") {
    const job = await uploadingJob(store.db, tenantId, { fileName: `${state}.csv` });
    await sql`update import_jobs set state = ${state} where id = ${job.id}`.execute(store.db);
    return job.id;
  }

  it("hands a job its stopping run leaves to the next worker", async () => {
    const jobId = await jobIn("queued");
    const ends: RunEnd[] = ["stopped", "completed"];
    const calls: number[] = [];
    const runner = createImportRunner(store, {
      run: async (_store, _tenantId, id) => {
        calls.push(id);
        return ends[calls.length - 1] ?? "not-runnable";
      },
    });
    await runner.start();
    try {
      for (let i = 0; i < 100 && calls.length < ends.length; i++) await pause(100);
    } finally {
      await runner.stop();
    }
    expect(calls).toEqual([jobId, jobId]);
    // The fake run wrote nothing: end the job as a real one would have.
    await sql`update import_jobs set state = 'completed' where id = ${jobId}`.execute(store.db);
  }, 30_000);

  it("takes over a running job once no process holds it, and leaves it alone while one does", async () => {
    const calls: number[] = [];
    const runner = createImportRunner(store, {
      watchSeconds: 1,
      run: async (_store, _tenantId, id) => {
        calls.push(id);
        return "completed";
      },
    });
    await runner.start();
    try {
      // Another process runs this job: it holds the job's lock until the test lets go.
      let letGo = () => {};
      const released = new Promise<void>((resolve) => {
        letGo = resolve;
      });
      const jobId = await jobIn("running");
      const held = whileHoldingImportJob(otherProcess, tenantId, jobId, () => released);
      await pause(3_000);
      expect(calls).toEqual([]);
      // That process is gone (its session with it): the next round finds the job free and runs it.
      letGo();
      await held;
      for (let i = 0; i < 50 && calls.length === 0; i++) await pause(100);
      expect(calls).toEqual([jobId]);
    } finally {
      await runner.stop();
    }
  }, 30_000);
});
