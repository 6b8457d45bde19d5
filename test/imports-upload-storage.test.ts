import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelImport } from "../src/jobs/cancel-import.js";
import { createImport } from "../src/jobs/create-import.js";
import { runImport } from "../src/jobs/run-import.js";
import { migrateToLatest, openStore, type Store } from "../src/store/database.js";
import {
  addUploadPiece,
  finishUpload,
  getImportJob,
  type ImportJob,
  listImportJobs,
} from "../src/store/imports/import-jobs.js";
import { endImportJob, readUpload } from "../src/store/imports/upload-storage.js";
import { createTenant } from "../src/store/tenants.js";
import { peopleCsv, uploadingJob } from "./helpers/import-files.js";
import { openTestStore, type TestStore, testDatabaseUrl, testEngines } from "./helpers/test-store.js";

/** An upload body as a request streams one: its parts, one after another. */
async function* body(...parts: Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
}

/**
 * A slow upload cancelled part-way: 1 MiB parts of a CSV, the job cancelled once the first part is in; `sent`
 * counts the parts the upload took after the cancel.
 */
function cancelledMidUpload(store: Store, tenantId: number) {
  const csv = Buffer.from(peopleCsv(80_000));
  const mib = 1024 * 1024;
  const parts = Array.from({ length: Math.ceil(csv.length / mib) }, (_, i) =>
    csv.subarray(i * mib, (i + 1) * mib),
  );
  const progress = { sent: 0, parts: parts.length };
  async function* slowBody(): AsyncGenerator<Buffer> {
    yield parts[0];
    yield parts[1];
    const [job] = await listImportJobs(store.db, tenantId, { limit: 1, state: "uploading" });
    expect((await cancelImport(store, job)).state).toBe("cancelled");
    for (const part of parts.slice(2)) {
      progress.sent++;
      yield part;
    }
  }
  return { body: slowBody(), progress };
}

// PGlite with a data folder keeps uploads as files there (upload-storage.ts); the other stores keep them
// as database pieces, which every other import test exercises.
describe("import uploads as files on PGlite with a data folder", () => {
  let dir: string;
  let store: Store;
  let tenantId: number;
  const uploads = () => join(dir, "tributary-uploads");
  const request = () => ({ tenantId, actor: "test", format: "csv" as const, idProperty: "external_id" });
  const pieceCount = async (jobId: number) =>
    Number(
      (
        await sql<{
          n: number;
        }>`select count(*)::int as n from import_upload_pieces where job_id = ${jobId}`.execute(store.db)
      ).rows[0].n,
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tributary-uploads-"));
    store = await openStore({ dataDir: dir });
    await migrateToLatest(store);
    tenantId = (await createTenant(store.db, "College")).id;
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores the upload as a file, byte for byte, and deletes it when the job completes", async () => {
    const csv = peopleCsv(30);
    const job = await createImport(store, request(), body(Buffer.from(csv)));
    expect(job.state).toBe("queued");
    const file = join(uploads(), `${tenantId}-${job.id}.upload`);
    expect(readFileSync(file, "utf8")).toBe(csv);
    expect(await pieceCount(job.id)).toBe(0);
    expect(await runImport(store, tenantId, job.id)).toBe("completed");
    expect((await getImportJob(store.db, tenantId, job.id))?.rowsCreated).toBe(30);
    expect(existsSync(file)).toBe(false);
  });

  it("a queued job survives the store being closed and opened again", async () => {
    const job = await createImport(store, request(), body(Buffer.from(peopleCsv(10, { start: 100 }))));
    await store.close();
    store = await openStore({ dataDir: dir });
    expect(await runImport(store, tenantId, job.id)).toBe("completed");
    expect((await getImportJob(store.db, tenantId, job.id))?.rowsCreated).toBe(10);
  });

  it("a refused upload and a cancelled job leave no file", async () => {
    const before = readdirSync(uploads()).length;
    await expect(createImport(store, request(), body(Buffer.from("colour,size\nred,L\n")))).rejects.toThrow(
      /no column maps/,
    );
    // Over the limit after the first 1 MiB piece reached the file.
    const big = Buffer.from(peopleCsv(40_000));
    const parts = Array.from({ length: Math.ceil(big.length / 262_144) }, (_, i) =>
      big.subarray(i * 262_144, (i + 1) * 262_144),
    );
    await expect(createImport(store, request(), body(...parts), 1_500_000)).rejects.toThrow(/over the limit/);
    const queued = await createImport(store, request(), body(Buffer.from(peopleCsv(5, { start: 200 }))));
    expect(readdirSync(uploads())).toHaveLength(before + 1);
    await endImportJob(store, tenantId, queued.id, "cancelled");
    expect(readdirSync(uploads())).toHaveLength(before);
    expect(await runImport(store, tenantId, queued.id)).toBe("not-runnable");
  });

  it("a job whose pieces are in the database (queued before files) still runs", async () => {
    const job = await uploadingJob(store.db, tenantId, { idProperty: "external_id" });
    const csv = Buffer.from(peopleCsv(8, { start: 300 }));
    await addUploadPiece(store.db, tenantId, job.id, 0, csv.subarray(0, 100), false);
    await addUploadPiece(store.db, tenantId, job.id, 1, csv.subarray(100), false);
    await finishUpload(store.db, tenantId, job.id, csv.length, 2);
    expect(await runImport(store, tenantId, job.id)).toBe("completed");
    expect((await getImportJob(store.db, tenantId, job.id))?.rowsCreated).toBe(8);
    expect(await pieceCount(job.id)).toBe(0);
  });

  it("a job cancelled while its file arrives takes no more of it and keeps no file", async () => {
    const before = readdirSync(uploads()).length;
    const upload = cancelledMidUpload(store, tenantId);
    const job = await createImport(store, request(), upload.body);
    expect(job.state).toBe("cancelled");
    // The upload stopped at the cancel: at most the part in flight was read after it.
    expect(upload.progress.sent).toBeLessThanOrEqual(1);
    expect(readdirSync(uploads())).toHaveLength(before);
  });
});

// PostgreSQL (and in-memory PGlite) keep an upload as 1 MiB pieces in the database: binary parameters on
// PostgreSQL, base64 text on PGlite; one piece is written while the next is received.
describe.each(testEngines)("import uploads as database pieces (%s)", (engine) => {
  let store: TestStore;
  let tenantId: number;
  const pieceRows = async () =>
    Number(
      (await sql<{ n: number }>`select count(*)::int as n from import_upload_pieces`.execute(store.db))
        .rows[0].n,
    );
  const jobRows = async () =>
    Number(
      (await sql<{ n: number }>`select count(*)::int as n from import_jobs`.execute(store.db)).rows[0].n,
    );

  beforeAll(async () => {
    store = await openTestStore(engine, "upload-pieces");
    tenantId = (await createTenant(store.db, "College")).id;
  });
  afterAll(async () => {
    await store.dispose();
  });

  it("reads back a multi-piece upload byte for byte, multi-byte characters cut at piece edges included", async () => {
    // 4 MiB in parts of odd sizes, so pieces end inside the two- and three-byte characters.
    const csv = Buffer.from(peopleCsv(50_000, { company: "Société € Ünïon" }));
    expect(csv.length).toBeGreaterThan(4 * 1024 * 1024);
    const parts = Array.from({ length: Math.ceil(csv.length / 99_991) }, (_, i) =>
      csv.subarray(i * 99_991, (i + 1) * 99_991),
    );
    const job = await createImport(
      store,
      { tenantId, actor: "test", format: "csv", idProperty: "external_id" },
      body(...parts),
    );
    expect(job.uploadPieces).toBeGreaterThan(2);
    const back: Buffer[] = [];
    for await (const piece of readUpload(store, tenantId, job.id)) back.push(piece);
    expect(Buffer.concat(back).equals(csv)).toBe(true);
    await endImportJob(store, tenantId, job.id, "cancelled");
  });

  it("an upload refused over the limit leaves no job and no piece", async () => {
    const jobsBefore = await jobRows();
    const csv = Buffer.from(peopleCsv(40_000));
    const parts = Array.from({ length: Math.ceil(csv.length / 262_144) }, (_, i) =>
      csv.subarray(i * 262_144, (i + 1) * 262_144),
    );
    await expect(
      createImport(
        store,
        { tenantId, actor: "test", format: "csv", idProperty: "external_id" },
        body(...parts),
        2_000_000,
      ),
    ).rejects.toThrow(/over the limit/);
    expect(await jobRows()).toBe(jobsBefore);
    expect(await pieceRows()).toBe(0);
  });

  it("a job cancelled while its file arrives takes no more of it and keeps no piece", async () => {
    const upload = cancelledMidUpload(store, tenantId);
    const job = await createImport(
      store,
      { tenantId, actor: "test", format: "csv", idProperty: "external_id" },
      upload.body,
    );
    expect(job.state).toBe("cancelled");
    // One piece is written while the next is received: the refusal of the first is heard at the next.
    expect(upload.progress.sent).toBeLessThanOrEqual(2);
    expect(upload.progress.parts).toBeGreaterThan(5);
    expect(await pieceRows()).toBe(0);
  });
});

// A run started while its file arrives needs a runner on real connections: PostgreSQL.
describe.runIf(testDatabaseUrl)("an import that starts while its upload arrives (PostgreSQL)", () => {
  let store: TestStore;
  let tenantId: number;
  const request = () => ({ tenantId, actor: "test", format: "csv" as const, idProperty: "external_id" });
  const early = (declaredBytes: number) => ({
    declaredBytes,
    run: (job: ImportJob, arriving: AsyncIterable<Buffer>) =>
      runImport(store, tenantId, job.id, { arriving, chunkRows: 500 }),
  });
  /** A CSV of `count` people from `start`, of text columns only, in parts of about a MiB each. */
  const parts = (count: number, start: number) => {
    const csv = Buffer.from(
      peopleCsv(count, {
        start,
        header: ["External ID", "First Name", "last_name", "Email Address", "Company", "Department"],
      }),
    );
    return Array.from({ length: Math.ceil(csv.length / 2 ** 20) }, (_, i) =>
      csv.subarray(i * 2 ** 20, (i + 1) * 2 ** 20),
    );
  };
  const jobsOf = async () =>
    (
      await sql<{
        id: number;
        state: string;
        rowsRead: number;
        rowsCreated: number;
        errorCode: string | null;
      }>`
      select id, state, rows_read, rows_created, error_code from import_jobs where tenant_id = ${tenantId} order by id`.execute(
        store.db,
      )
    ).rows.map((r) => ({
      ...r,
      id: Number(r.id),
      rowsRead: Number(r.rowsRead),
      rowsCreated: Number(r.rowsCreated),
    }));
  const contactsFrom = async (start: number) =>
    Number(
      (
        await sql<{ n: number }>`select count(*)::int as n from contact_identifiers
          where tenant_id = ${tenantId} and value like ${`P-${start}%`}`.execute(store.db)
      ).rows[0].n,
    );

  beforeAll(async () => {
    store = await openTestStore("postgres", "early-start");
    tenantId = (await createTenant(store.db, "Early")).id;
  });
  afterAll(() => store.dispose());

  it("writes chunks while the rest of the file is still arriving, then completes as usual", async () => {
    const pieces = parts(50_000, 100_000);
    expect(pieces.length).toBeGreaterThan(3);
    let writtenBeforeTheEnd = false;
    async function* slowly(): AsyncGenerator<Buffer> {
      for (const [i, piece] of pieces.entries()) {
        // Before the last piece, wait (a while at most) until the run has committed chunks of the first.
        if (i === pieces.length - 1) {
          const deadline = Date.now() + 20_000;
          while (Date.now() < deadline && !writtenBeforeTheEnd) {
            writtenBeforeTheEnd = (await jobsOf()).some((j) => j.state === "uploading" && j.rowsRead > 0);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
        yield piece;
      }
    }
    const size = pieces.reduce((n, p) => n + p.length, 0);
    const job = await createImport(store, request(), slowly(), undefined, undefined, early(size));
    expect(writtenBeforeTheEnd).toBe(true);
    expect(["running", "completed"]).toContain(job.state);
    expect(job.uploadBytes).toBe(size);
    const deadline = Date.now() + 60_000;
    while ((await getImportJob(store.db, tenantId, job.id))?.state !== "completed" && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await getImportJob(store.db, tenantId, job.id)).toMatchObject({
      state: "completed",
      rowsCreated: 50_000,
      rowsRead: 50_000,
    });
    expect(await contactsFrom(1)).toBe(50_000);
  });

  /** Waits (20 s at most) until the run started on an arriving upload has written rows. */
  async function rowsWrittenWhileUploading() {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(await jobsOf()).some((j) => j.state === "uploading" && j.rowsRead > 0))
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it("an upload that breaks off after chunks were written leaves the job failed with those rows, and no piece", async () => {
    const pieces = parts(20_000, 200_000);
    async function* breaksOff(): AsyncGenerator<Buffer> {
      yield pieces[0];
      yield pieces[1];
      await rowsWrittenWhileUploading();
      throw new Error("the client went away");
    }
    await expect(
      createImport(store, request(), breaksOff(), undefined, undefined, early(20 * 2 ** 20)),
    ).rejects.toThrow("the client went away");
    const job = (await jobsOf()).at(-1);
    expect(job).toMatchObject({ state: "failed", errorCode: "IMPORT_UPLOAD_INTERRUPTED" });
    expect(job?.rowsRead).toBeGreaterThan(0);
    // Exactly the committed rows are in, and listed in the results; the stored pieces are gone.
    expect(await contactsFrom(2)).toBe(job?.rowsCreated);
    const pieceRows = await sql<{
      n: number;
    }>`select count(*)::int as n from import_upload_pieces where job_id = ${job?.id}`.execute(store.db);
    expect(pieceRows.rows[0].n).toBe(0);
  });

  it("a job cancelled after chunks were written while its file arrives: the upload stops, the rows stay, no piece", async () => {
    const pieces = parts(100_000, 300_000);
    let sentAfterCancel = 0;
    let cancelled: ImportJob | undefined;
    async function* cancelledPartWay(): AsyncGenerator<Buffer> {
      yield pieces[0];
      yield pieces[1];
      await rowsWrittenWhileUploading();
      const [uploading] = await listImportJobs(store.db, tenantId, { limit: 1, state: "uploading" });
      cancelled = await cancelImport(store, uploading);
      for (const piece of pieces.slice(2)) {
        sentAfterCancel++;
        yield piece;
      }
    }
    const size = pieces.reduce((n, p) => n + p.length, 0);
    const job = await createImport(store, request(), cancelledPartWay(), undefined, undefined, early(size));
    expect(cancelled?.state).toBe("cancelled");
    expect(job).toMatchObject({ state: "cancelled", rowsRead: cancelled?.rowsRead });
    expect(job.rowsRead).toBeGreaterThan(0);
    expect(sentAfterCancel).toBeLessThanOrEqual(2);
    expect(pieces.length - 2).toBeGreaterThan(2);
    expect(await contactsFrom(3)).toBe(job.rowsCreated);
    const pieceRows = await sql<{
      n: number;
    }>`select count(*)::int as n from import_upload_pieces where job_id = ${job.id}`.execute(store.db);
    expect(pieceRows.rows[0].n).toBe(0);
  });

  it("an upload that breaks off before any chunk, or a file refused by its first row, leaves nothing", async () => {
    const before = (await jobsOf()).length;
    async function* breaksAtOnce(): AsyncGenerator<Buffer> {
      yield Buffer.from("External ID,First Name\n");
      throw new Error("gone");
    }
    await expect(
      createImport(store, request(), breaksAtOnce(), undefined, undefined, early(5000)),
    ).rejects.toThrow("gone");
    // No column maps to a field: refused from the first piece, before the rest of the file is read.
    let piecesRead = 0;
    async function* unmapped(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 50; i++) {
        piecesRead++;
        yield Buffer.from(`${i === 0 ? "Shoe Size,Hat\n" : ""}${"42,large\n".repeat(120_000)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    await expect(
      createImport(store, request(), unmapped(), undefined, undefined, early(50 * 1_080_014)),
    ).rejects.toThrow(/no column maps/);
    expect(piecesRead).toBeLessThan(50);
    expect((await jobsOf()).length).toBe(before);
  });
});
