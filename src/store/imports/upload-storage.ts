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
  deleteUploadPieces,
  finishImportJob,
  type ImportJobEnd,
  type ImportJobError,
  isUploading,
  readUploadPieces,
} from "./import-jobs.js";

/**
 * Receives an upload's pieces in order; `finish` makes them durable and answers how many there were.
 * `ended` turns true once the job has ended while its file arrived (a cancel): it takes no more pieces.
 */
export interface UploadWriter {
  add(piece: Buffer): Promise<void>;
  finish(): Promise<number>;
  readonly ended: boolean;
}

function uploadFile(uploadDir: string, tenantId: number, jobId: number): string {
  return join(uploadDir, `${tenantId}-${jobId}.upload`);
}

/**
 * A writer for a new job's upload, on the store's upload storage. `arriving`, when given, hears of each piece
 * once it is stored (database pieces only): a run started while the file arrives reads what is stored.
 */
export function openUploadWriter(
  store: Store,
  tenantId: number,
  jobId: number,
  arriving?: ArrivingUpload,
): UploadWriter {
  let pieces = 0;
  const { uploadDir } = store;
  if (!uploadDir) {
    const binary = store.engine === "postgres";
    // One piece is written while the next is received: the upload's reading and PostgreSQL's writing overlap
    // instead of taking turns. A failed write is rethrown by the next add or by finish.
    let writing: Promise<void> = Promise.resolve();
    let ended = false;
    return {
      async add(piece) {
        await writing;
        if (ended) return;
        writing = addUploadPiece(store.db, tenantId, jobId, pieces, piece, binary).then((stored) => {
          if (!stored) {
            ended = true;
            return;
          }
          pieces++;
          arriving?.pieceStored();
        });
        writing.catch(() => {});
      },
      finish: async () => {
        await writing;
        return pieces;
      },
      get ended() {
        return ended;
      },
    };
  }
  const path = uploadFile(uploadDir, tenantId, jobId);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let ended = false;
  return {
    get ended() {
      return ended;
    },
    async add(piece) {
      // One query a MiB: a cancelled job's file stops growing (finishUpload's caller deletes it).
      if (ended || !(await isUploading(store.db, tenantId, jobId))) {
        ended = true;
        return;
      }
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

/** Why a run started while its file arrived stopped reading: the upload did not complete. */
export class UploadInterruptedError extends Error {
  override readonly name = "UploadInterruptedError";
}

/**
 * An upload still arriving in the database, read as its pieces are stored: `read` yields each stored piece
 * in order, waits while the sender is still sending, ends once the last piece is stored and the upload is
 * complete, and throws UploadInterruptedError if it is not. Bytes are only ever read back from the
 * database, so a run reads what another process could resume from.
 */
export class ArrivingUpload {
  #stored = 0;
  #complete = false;
  #interrupted: UploadInterruptedError | null = null;
  /** readers waiting for the next piece (a probe and the run may both be reading) */
  #waiting: Array<() => void> = [];

  /** Another piece (the next in order) is stored. */
  pieceStored(): void {
    this.#stored++;
    this.#notify();
  }

  /** Every piece is stored and the upload is complete. */
  complete(): void {
    this.#complete = true;
    this.#notify();
  }

  /** The upload will not complete; a reader stops at its next wait. */
  interrupt(reason: string): void {
    this.#interrupted ??= new UploadInterruptedError(reason);
    this.#notify();
  }

  #notify(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake();
  }

  async *read(store: Store, tenantId: number, jobId: number): AsyncGenerator<Buffer> {
    let next = 0;
    for (;;) {
      if (this.#interrupted) throw this.#interrupted;
      if (next < this.#stored) {
        const until = this.#stored;
        yield* readUploadPieces(store.db, tenantId, jobId, 4, store.engine === "postgres", {
          from: next,
          until,
        });
        next = until;
        continue;
      }
      if (this.#complete) return;
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }
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

/** Deletes an ended job's upload, wherever it was stored (its pieces, or its file). */
export async function deleteUpload(store: Store, tenantId: number, jobId: number): Promise<void> {
  await deleteUploadPieces(store.db, tenantId, jobId);
  await removeUploadFile(store, tenantId, jobId).catch(() => {});
}
