// Where an import's upload waits for its job: in the database (PostgreSQL, where any server process must be
// able to read what another received, and in-memory PGlite), or as a file in PGlite's data folder. PGlite is
// one process, so its folder is readable by every process that can open the database at all, and a file
// skips PGlite's JavaScript parameter path: a 55 MB CSV travelled as 73 MB of base64 through a
// character-by-character UTF-8 loop once in and once out (docs/benchmarks-import.md).
import { createReadStream } from "node:fs";
import { mkdir, open, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../database.js";
import {
  addUploadPiece,
  finishImportJob,
  type ImportJobEnd,
  type ImportJobError,
  readUploadPieces,
} from "./import-jobs.js";

/** Receives an upload's pieces in order; `finish` makes them durable and answers how many there were. */
export interface UploadWriter {
  add(piece: Buffer): Promise<void>;
  finish(): Promise<number>;
}

function uploadFile(uploadDir: string, tenantId: number, jobId: number): string {
  return join(uploadDir, `${tenantId}-${jobId}.upload`);
}

/** A writer for a new job's upload, on the store's upload storage. */
export function openUploadWriter(store: Store, tenantId: number, jobId: number): UploadWriter {
  let pieces = 0;
  const { uploadDir } = store;
  if (!uploadDir) {
    const binary = store.engine === "postgres";
    // One piece is written while the next is received: the upload's reading and PostgreSQL's writing overlap
    // instead of taking turns. A failed write is rethrown by the next add or by finish.
    let writing: Promise<void> = Promise.resolve();
    return {
      async add(piece) {
        await writing;
        writing = addUploadPiece(store.db, tenantId, jobId, pieces++, piece, binary);
        writing.catch(() => {});
      },
      finish: async () => {
        await writing;
        return pieces;
      },
    };
  }
  const path = uploadFile(uploadDir, tenantId, jobId);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  return {
    async add(piece) {
      if (!handle) {
        await mkdir(uploadDir, { recursive: true });
        handle = await open(path, "w");
      }
      await handle.write(piece);
      pieces++;
    },
    async finish() {
      if (!handle) return 0;
      // The job row is queued only after this: a queued job's upload must survive a crash.
      await handle.sync();
      await handle.close();
      handle = undefined;
      const dir = await open(uploadDir, "r");
      await dir.sync().finally(() => dir.close());
      return pieces;
    },
  };
}

/** The upload's bytes in order, from wherever they were stored. */
export async function* readUpload(
  store: Store,
  tenantId: number,
  jobId: number,
  piecesPerQuery?: number,
): AsyncGenerator<Buffer> {
  const path = store.uploadDir ? uploadFile(store.uploadDir, tenantId, jobId) : undefined;
  // A job queued before uploads moved to files still has its pieces in the database.
  if (!path || !(await stat(path).catch(() => undefined))) {
    yield* readUploadPieces(store.db, tenantId, jobId, piecesPerQuery, store.engine === "postgres");
    return;
  }
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) yield chunk as Buffer;
}

/** Deletes an upload's file, if it has one (its database pieces go with the job's SQL). */
export async function removeUploadFile(store: Store, tenantId: number, jobId: number): Promise<void> {
  if (store.uploadDir) await rm(uploadFile(store.uploadDir, tenantId, jobId), { force: true });
}

/** Ends a job (completed, failed or cancelled) unless it already ended, and deletes its upload. */
export async function endImportJob(
  store: Store,
  tenantId: number,
  jobId: number,
  state: ImportJobEnd,
  error?: ImportJobError,
): Promise<boolean> {
  const ended = await finishImportJob(store.db, tenantId, jobId, state, error);
  // A reader still streaming the file (a cancelled running job) keeps its open handle; a file left behind
  // by a failed delete costs disk, not correctness.
  await removeUploadFile(store, tenantId, jobId).catch(() => {});
  return ended;
}
