import { sql } from "kysely";
import { parseIdProperty } from "../core/match-key.js";
import { FileRejectedError, type RecordOutcome } from "../formats/records.js";
import { noteContactRowsWritten } from "../store/contacts/keep-statistics.js";
import { upsertContactsInTransaction } from "../store/contacts/upsert-contacts.js";
import { upsertFlatBatch } from "../store/contacts/write-flat-rows.js";
import type { Store } from "../store/database.js";
import { whileHoldingImportJob } from "../store/imports/import-job-lock.js";
import { getImportJob, type ImportJob, lockImportJob, startImportRun } from "../store/imports/import-jobs.js";
import { type RowStatus, recordChunk } from "../store/imports/import-results.js";
import { endImportJob, readUpload, UploadInterruptedError } from "../store/imports/upload-storage.js";
import { ChunkBuilder, type ValidatedChunk } from "./chunk-builder.js";
import { ColumnMapper } from "./header-mapping.js";
import { importShapeNamed } from "./import-shapes.js";
import { keepFailedRows } from "./keep-failed-rows.js";
import { nextTurn } from "./next-turn.js";
import { ByteCounter, readUploadRecords } from "./read-upload-records.js";
import { loadShapeContext } from "./reference-lookup.js";
import { importUpsertOptions, settleChunk } from "./shape-chunk.js";

export interface RunImportOptions {
  /** source rows per chunk: one transaction writes the chunk's contacts, outcomes and checkpoint */
  chunkRows?: number;
  /** checked between chunks; when true the run stops after the current chunk and the job stays resumable */
  shouldStop?: () => boolean;
  /** called after each committed chunk */
  onChunk?: (job: ImportJob) => void;
  /**
   * The upload's bytes while they still arrive (`ArrivingUpload.read`), for a run the receiving process
   * starts before its upload completes; the job may then write chunks while `uploading`.
   */
  arriving?: AsyncIterable<Buffer>;
}

/**
 * How a run ended: `stopped` (asked to stop; resumable), `held` (another process is running the job),
 * `superseded` (another worker advanced the checkpoint first), or the job's final state.
 */
export type RunEnd =
  | "completed"
  | "failed"
  | "cancelled"
  | "stopped"
  | "held"
  | "superseded"
  | "not-runnable";

export const defaultChunkRows = 2000;

/** The reader's codes after which it reads nothing more of the file. */
const readerStops = new Set(["CSV_UNCLOSED_QUOTE", "CSV_RECORD_TOO_LARGE", "JSON_ARRAY_UNCLOSED"]);

/** Prepared chunks that may wait for the database at once (each holds its rows of COPY text or its inputs, not its raw cells). */
const chunksAhead = 2;

// Rows read, shaped or validated between two turns of the event loop. Reading runs on microtasks as long
// as the upload has bytes buffered: without a turn, a chunk's transaction waited for a whole upload piece
// (about 2,000 rows) to be read before it saw its last statement's answer and sent the next (in process,
// 100,000 rows on PostgreSQL, four A/B pairs: 18,100 against 16,400 inserted rows/s with a turn every 250).
// A turn every 50 rows, with a chunk shaped 50 rows at a time and the CSV tokenized 64 KiB at a time
// (read-csv.ts), against every 250, a whole chunk and a whole piece: in process, seven pairs in turns
// (2026-12-04), inserts faster in all seven (+6% to +41%), updates in four (+7% to +35%; the other three
// 6-7% slower); the event loop's 99th-percentile delay during the job 28-31 against 40-45 ms.
const yieldEveryRows = 50;

// An NDJSON file's records may each carry other keys: the job's applied mapping lists this many columns, not
// every one (a CSV of 45 columns needs one write of it, at the first chunk).
const maxListedColumns = 500;

class ChunkRefused extends Error {
  constructor(readonly end: RunEnd) {
    super(end);
  }
}

/**
 * Runs (or resumes) one import job: re-reads the stored upload from the start, skips the rows up to the
 * checkpoint, and writes the rest in chunks. Each chunk is one transaction holding the job row's lock:
 * the contacts, the chunk's outcomes and the advanced checkpoint commit together or not at all, so a
 * process killed at any point resumes with no row written twice and none skipped.
 */
export function runImport(
  store: Store,
  tenantId: number,
  jobId: number,
  options: RunImportOptions = {},
): Promise<RunEnd> {
  // One process at a time: a second run would only be refused at its first chunk, after restarting the
  // job's rows/s window, and the queue entry that started it would end as if the job had.
  return whileHoldingImportJob(store, tenantId, jobId, () => runHeldImport(store, tenantId, jobId, options));
}

async function runHeldImport(
  store: Store,
  tenantId: number,
  jobId: number,
  options: RunImportOptions,
): Promise<RunEnd> {
  const chunkRows = options.chunkRows ?? defaultChunkRows;
  const whileUploading = options.arriving !== undefined;
  const job = await startImportRun(store.db, tenantId, jobId, whileUploading);
  if (!job) return "not-runnable";
  const shape = importShapeNamed(job.shape);
  const idProperty = parseIdProperty(job.idProperty);
  if (!shape || !idProperty) {
    await endImportJob(store, tenantId, jobId, "failed", {
      code: "IMPORT_OPTIONS_INVALID",
      message: `unknown shape '${job.shape}' or idProperty '${job.idProperty}'`,
    });
    return "failed";
  }
  const context = await loadShapeContext(store, tenantId, job.dateFormat);
  const mapper = new ColumnMapper(shape, job.mapping);
  // Matched on an identifier, by a shape without dialect hooks or grouping, a chunk of flat inputs goes to
  // the set-based writer: the engine's semantics for such inputs, without their objects or a read-back of
  // the stored rows (docs/imports.md).
  const flatScheme =
    typeof idProperty === "object" && !shape.upsert && !shape.shapeChunk ? idProperty.scheme : null;
  const upsertBase = { tenantId, idProperty, actor: job.actor };
  const counter = new ByteCounter();
  const outcomes = readUploadRecords(
    counter.count(options.arriving ?? readUpload(store, tenantId, jobId)),
    job.format,
    job.encoding,
  );

  let checkpoint = job.checkpointRow;
  // A resumed run skips the rows before its checkpoint unmapped: what earlier runs found stays listed.
  const applied = new Map(Object.entries(job.columnMapping));
  const newlyApplied = (): Record<string, string | null> | undefined => {
    const before = applied.size;
    for (const [column, target] of mapper.seenColumns()) {
      if (applied.size >= maxListedColumns) break;
      if (!applied.has(column)) applied.set(column, target);
    }
    return applied.size > before ? Object.fromEntries(applied) : undefined;
  };

  // Mapping, shaping and validation need no database: they run here, ahead, a slice at a time, while the
  // previous chunk's transaction is open, instead of inside this chunk's (on PostgreSQL the chunks'
  // transactions are the job's critical path), so that transaction's answers are not kept waiting either.
  const builder = new ChunkBuilder(shape, mapper, context, { flatScheme, upsertBase });

  const writeChunk = async (prepared: ValidatedChunk, bytesRead: number) => {
    const { rows, statuses, contactIds, errors, inputs } = prepared;
    const firstRow = rows[0];
    const lastRow = rows[rows.length - 1];
    const written = await store.db.transaction().execute(async (trx) => {
      // A chunk's commit does not wait for its WAL to reach the disk (PostgreSQL flushes it within a few
      // hundred milliseconds): a flush per chunk was 3-5 ms on the job's critical path. Only a crash of
      // PostgreSQL itself can lose such a commit, and then it loses the chunk's checkpoint with its rows:
      // the job resumes before them, with none written twice and none skipped. A killed server loses
      // nothing. The job's end commits as usual.
      const locked = await lockImportJob(trx, tenantId, jobId, { asyncCommit: store.engine === "postgres" });
      if (!locked || locked.state === "cancelled") throw new ChunkRefused("cancelled");
      if (locked.state !== "running" && !(whileUploading && locked.state === "uploading"))
        throw new ChunkRefused("not-runnable");
      if (locked.checkpointRow !== checkpoint) throw new ChunkRefused("superseded");
      // A dry run writes the contacts under a savepoint and rolls them back, so every check the engine
      // makes against stored data (references, identifier owners, matches) still runs.
      if (job.dryRun) await sql`savepoint import_dry_run`.execute(trx);
      const results = prepared.flat
        ? await upsertFlatBatch(trx, prepared.flat, { tenantId, actor: job.actor })
        : (
            await upsertContactsInTransaction(trx, inputs, {
              ...importUpsertOptions(shape, mapper, upsertBase, prepared),
              validated: prepared.validated,
            })
          ).results;
      if (job.dryRun) await sql`rollback to savepoint import_dry_run`.execute(trx);
      settleChunk(prepared, results);
      const count = (s: RowStatus) => statuses.filter((x) => x === s).length;
      const counts = {
        lastRow,
        bytesRead,
        read: rows.length,
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged") + count("skipped"),
        failed: count("error"),
        columnMapping: newlyApplied(),
      };
      await recordChunk(trx, tenantId, jobId, { firstRow, statuses, contactIds, errors }, counts);
      return counts.created + counts.updated;
    });
    checkpoint = lastRow;
    // PGlite runs each query inside this thread and settles its promise as a microtask: a job would go
    // from chunk to chunk without the event loop ever reaching I/O, and the server would answer no request
    // (not even the job's own progress) until the import ended. One macrotask turn per chunk lets them in.
    await nextTurn();
    if (!job.dryRun) noteContactRowsWritten(store.db, written);
    if (options.onChunk) options.onChunk((await getImportJob(store.db, tenantId, jobId)) as ImportJob);
  };

  // Reading and shaping run ahead of the writes: the write queue holds up to `chunksAhead` prepared chunks
  // (the one in the database included) while the next is read, so PostgreSQL's share of a chunk overlaps
  // the parsing of later ones instead of leaving this thread idle (measured: idle a third of the job's time
  // with one chunk of read-ahead). Chunks still commit strictly one after another, in file order.
  let lastWrite: Promise<void> = Promise.resolve();
  const waiting: Array<Promise<void>> = [];
  const enqueue = (prepared: ValidatedChunk, bytesRead: number) => {
    lastWrite = lastWrite.then(() => {
      if (options.shouldStop?.()) throw new ChunkRefused("stopped");
      return writeChunk(prepared, bytesRead);
    });
    // A failed write must not go unobserved while later chunks are read; it is rethrown when awaited.
    lastWrite.catch(() => {});
    waiting.push(lastWrite);
  };
  const takeChunk = async () => {
    const prepared = await builder.take(nextTurn, yieldEveryRows);
    while (waiting.length >= chunksAhead) await waiting.shift();
    enqueue(prepared, counter.bytes);
  };
  // A reader that had to stop part-way (a quote never closed, a record over the size limit) read no later row:
  // its row fails as any other, and then the job ends `failed` saying so, not `completed` on part of the file.
  let stoppedBy: Extract<RecordOutcome, { kind: "error" }> | undefined;
  try {
    let sinceYield = 0;
    let slice: RecordOutcome[] = [];
    for await (const outcome of outcomes) {
      if (outcome.kind === "error" && readerStops.has(outcome.code)) stoppedBy = outcome;
      if (outcome.row > checkpoint) {
        slice.push(outcome);
        if (slice.length >= Math.min(yieldEveryRows, chunkRows - builder.rowCount)) {
          builder.add(slice);
          slice = [];
          if (builder.rowCount >= chunkRows) await takeChunk();
        }
      }
      if (++sinceYield >= yieldEveryRows) {
        sinceYield = 0;
        await nextTurn();
      }
    }
    if (slice.length > 0) builder.add(slice);
    if (builder.rowCount > 0) await takeChunk();
    await lastWrite;
  } catch (error) {
    if (error instanceof ChunkRefused) return error.end;
    if (error instanceof FileRejectedError || error instanceof UploadInterruptedError) {
      // The chunks before the unreadable part (or the end of what arrived) commit first; the job then
      // fails after them.
      await lastWrite.catch(() => {});
      await keepFailedRows(store, job);
      await endImportJob(
        store,
        tenantId,
        jobId,
        "failed",
        error instanceof FileRejectedError
          ? { code: error.code, message: error.message }
          : { code: "IMPORT_UPLOAD_INTERRUPTED", message: error.message },
      );
      return "failed";
    }
    throw error;
  } finally {
    await lastWrite.catch(() => {});
    await outcomes.return(undefined);
  }
  await keepFailedRows(store, job);
  if (stoppedBy)
    await endImportJob(store, tenantId, jobId, "failed", {
      code: stoppedBy.code,
      message: `row ${stoppedBy.row}: ${stoppedBy.message}; the rows before it are in, as the results say`,
    });
  else await endImportJob(store, tenantId, jobId, "completed");
  const done = await getImportJob(store.db, tenantId, jobId);
  if (done) options.onChunk?.(done);
  return done?.state === "completed" ? "completed" : ((done?.state ?? "not-runnable") as RunEnd);
}
