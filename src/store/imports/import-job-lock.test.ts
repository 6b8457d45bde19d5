import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testDatabaseUrl } from "../../../test/helpers/test-store.js";
import { openStore, type Store } from "../database.js";
import { whileHoldingImportJob } from "./import-job-lock.js";

/** A promise and the function that settles it: a run that lasts until the test says. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe.skipIf(!testDatabaseUrl)("an import job's lock on PostgreSQL (two processes: two pools)", () => {
  let first: TestStore;
  let second: Store;
  beforeAll(async () => {
    first = await openTestStore("postgres", "import_job_lock");
    second = await openStore({ databaseUrl: first.url });
  });
  afterAll(async () => {
    await second.close();
    await first.dispose();
  });

  it("lets one process run a job at a time; the other is told it is held, and runs it once it is let go", async () => {
    const running = gate();
    const firstRun = whileHoldingImportJob(first, 1, 41, async () => {
      await running.opened;
      return "first";
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await whileHoldingImportJob(second, 1, 41, async () => "second")).toBe("held");
    // Another job, or the same job number of another tenant, is not held.
    expect(await whileHoldingImportJob(second, 1, 42, async () => "other job")).toBe("other job");
    expect(await whileHoldingImportJob(second, 2, 41, async () => "other tenant")).toBe("other tenant");
    running.open();
    expect(await firstRun).toBe("first");
    expect(await whileHoldingImportJob(second, 1, 41, async () => "second")).toBe("second");
  });

  it("is let go when its holder's session ends, as when its process is killed", async () => {
    const running = gate();
    const firstRun = whileHoldingImportJob(first, 1, 43, () => running.opened.then(() => "first"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await whileHoldingImportJob(second, 1, 43, async () => "second")).toBe("held");
    const { rows } = await sql<{ pid: number }>`select pid from pg_locks
      where locktype = 'advisory' and classid = ${0x54524942} and granted`.execute(second.db);
    expect(rows).toHaveLength(1);
    await sql`select pg_terminate_backend(${rows[0].pid})`.execute(second.db);
    // The backend ends a moment after it is told to.
    for (let i = 0; i < 50; i++) {
      const left = await sql`select 1 from pg_stat_activity where pid = ${rows[0].pid}`.execute(second.db);
      if (left.rows.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await whileHoldingImportJob(second, 1, 43, async () => "taken over")).toBe("taken over");
    running.open();
    // The killed holder's own run ends as it would in a dying process; its unlock finds no session.
    await firstRun.catch(() => {});
  });

  it("lets go when the run throws", async () => {
    await expect(
      whileHoldingImportJob(first, 1, 44, async () => {
        throw new Error("a bug");
      }),
    ).rejects.toThrow("a bug");
    expect(await whileHoldingImportJob(second, 1, 44, async () => "second")).toBe("second");
  });
});

describe("an import job's lock on PGlite", () => {
  it("is no lock: one process holds the data folder", async () => {
    const store = await openStore({});
    try {
      expect(await whileHoldingImportJob(store, 1, 1, async () => "ran")).toBe("ran");
    } finally {
      await store.close();
    }
  });
});
