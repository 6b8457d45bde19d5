import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createImport } from "../src/jobs/create-import.js";
import { runImport } from "../src/jobs/run-import.js";
import { migrateToLatest, openStore, type Store } from "../src/store/database.js";
import { addUploadPiece, finishUpload, getImportJob } from "../src/store/imports/import-jobs.js";
import { endImportJob, readUpload } from "../src/store/imports/upload-storage.js";
import { createTenant } from "../src/store/tenants.js";
import { peopleCsv, uploadingJob } from "./helpers/import-files.js";
import { openTestStore, type TestStore, testEngines } from "./helpers/test-store.js";

/** An upload body as a request streams one: its parts, one after another. */
async function* body(...parts: Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
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
});
