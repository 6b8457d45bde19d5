import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uploadingJob } from "../../test/helpers/import-files.js";
import { openTestStore, type TestStore, testEngines } from "../../test/helpers/test-store.js";
import { addUploadPiece, getImportJob, markImportJobEnded } from "../store/imports/import-jobs.js";
import { createTenant } from "../store/tenants.js";
import { endInterruptedUploads } from "./end-interrupted-uploads.js";
import { createImportRunner } from "./import-runner.js";

describe.each(testEngines)("interrupted uploads on %s", (engine) => {
  let store: TestStore;
  let tenantId: number;
  beforeAll(async () => {
    store = await openTestStore(engine, "interrupted_uploads");
    tenantId = (await createTenant(store.db, "Uploader")).id;
  });
  afterAll(() => store.dispose());

  /** A job left as a server killed mid-upload leaves it: `uploading`, with part of its file stored. */
  async function halfUploaded() {
    const job = await uploadingJob(store.db, tenantId, { fileName: "half.csv" });
    await addUploadPiece(
      store.db,
      tenantId,
      job.id,
      0,
      Buffer.from("email\na@example.org\n"),
      engine === "postgres",
    );
    return job;
  }
  const pieces = async (jobId: number) =>
    Number(
      (
        await sql<{
          n: number;
        }>`select count(*) as n from import_upload_pieces where job_id = ${jobId}`.execute(store.db)
      ).rows[0].n,
    );

  it("fails an upload idle for longer than asked and deletes what it stored; leaves a live one alone", async () => {
    const job = await halfUploaded();
    expect(await endInterruptedUploads(store, 3600)).toBe(0);
    expect((await getImportJob(store.db, tenantId, job.id))?.state).toBe("uploading");
    // A piece arriving keeps it alive: its job's clock moves.
    await sql`update import_jobs set updated_at = now() - interval '2 hours' where id = ${job.id}`.execute(
      store.db,
    );
    await addUploadPiece(
      store.db,
      tenantId,
      job.id,
      1,
      Buffer.from("b@example.org\n"),
      engine === "postgres",
    );
    expect(await endInterruptedUploads(store, 3600)).toBe(0);

    await sql`update import_jobs set updated_at = now() - interval '2 hours' where id = ${job.id}`.execute(
      store.db,
    );
    expect(await endInterruptedUploads(store, 3600)).toBe(1);
    expect(await getImportJob(store.db, tenantId, job.id)).toMatchObject({
      state: "failed",
      errorCode: "IMPORT_UPLOAD_INTERRUPTED",
    });
    expect(await pieces(job.id)).toBe(0);
    expect(await endInterruptedUploads(store, 0)).toBe(0);
  });

  it("deletes the pieces a cancel left when its server stopped before deleting them", async () => {
    const job = await halfUploaded();
    // What a cancel leaves when its server stops after marking the job and before deleting its upload.
    expect(await markImportJobEnded(store.db, tenantId, job.id, "cancelled")).toBe(true);
    expect(await pieces(job.id)).toBe(1);
    await endInterruptedUploads(store, 3600);
    expect(await pieces(job.id)).toBe(1);
    await sql`update import_jobs set finished_at = now() - interval '2 hours' where id = ${job.id}`.execute(
      store.db,
    );
    await endInterruptedUploads(store, 3600);
    expect(await pieces(job.id)).toBe(0);
    expect((await getImportJob(store.db, tenantId, job.id))?.state).toBe("cancelled");
  });

  it("the runner ends such uploads when it starts: all of them on PGlite, idle ones on PostgreSQL", async () => {
    const fresh = await halfUploaded();
    const runner = createImportRunner(store);
    await runner.start();
    await runner.stop();
    const state = (await getImportJob(store.db, tenantId, fresh.id))?.state;
    expect(state).toBe(engine === "pglite" ? "failed" : "uploading");
  });

  it("a run that keeps throwing ends its job failed after the last retry, not `running` for ever", async () => {
    const job = await halfUploaded();
    await sql`update import_jobs set state = 'queued' where id = ${job.id}`.execute(store.db);
    let attempts = 0;
    const runner = createImportRunner(store, {
      retries: { limit: 1, delaySeconds: 1 },
      run: async () => {
        attempts++;
        throw new Error("a bug");
      },
    });
    await runner.start();
    try {
      const deadline = Date.now() + 30_000;
      while ((await getImportJob(store.db, tenantId, job.id))?.state === "queued" && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await runner.stop();
    }
    expect(await getImportJob(store.db, tenantId, job.id)).toMatchObject({
      state: "failed",
      errorCode: "INTERNAL",
      errorMessage: "the import stopped on an internal error; rows already committed stay",
    });
    // pg-boss: the first run and its one retry; PGlite's in-process queue: three tries, 5 s apart.
    expect(attempts).toBe(engine === "postgres" ? 2 : 3);
  }, 60_000);
});
