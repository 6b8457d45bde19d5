import { type Kysely, type RawBuilder, sql, type Transaction } from "kysely";
import type { DateFormat } from "../../core/dates.js";
import { copyOutBinary } from "../copy-in.js";
import type { Database } from "../schema.js";
import { storableText } from "../storable-text.js";

/** The states a client sees; `uploading` only while the POST that creates the job is still streaming. */
/** Every state a job can be in, in the order a job goes through them. */
export const importStates = ["uploading", "queued", "running", "completed", "failed", "cancelled"] as const;
export type ImportState = (typeof importStates)[number];

export type ImportFormat = "csv" | "ndjson" | "json";

/** One import job row: what to read, how far it got (the checkpoint) and what it did so far. */
export interface ImportJob {
  tenantId: number;
  id: number;
  state: ImportState;
  shape: string;
  format: ImportFormat;
  /** the file's character encoding as the sender named it (WHATWG name); readers get UTF-8 */
  encoding: string;
  /** the order of the file's day-first or month-first dates */
  dateFormat: DateFormat;
  idProperty: string;
  mapping: Record<string, string> | null;
  /** file columns the run has seen that feed no field, in the order first seen (from `columnMapping`) */
  unmappedColumns: string[];
  /** the mapping applied to the columns the run has seen: column → field, null for one not imported */
  columnMapping: Record<string, string | null>;
  dryRun: boolean;
  fileName: string | null;
  actor: string;
  uploadBytes: number;
  uploadPieces: number;
  /** the last source row whose outcome is committed; a resumed run starts after it */
  checkpointRow: number;
  bytesRead: number;
  rowsRead: number;
  rowsCreated: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  rowsFailed: number;
  errorCode: string | null;
  errorMessage: string | null;
  runStartedAt: Date | null;
  runStartRow: number;
  runStartBytes: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

export type NewImportJob = Pick<
  ImportJob,
  | "tenantId"
  | "shape"
  | "format"
  | "encoding"
  | "dateFormat"
  | "idProperty"
  | "mapping"
  | "dryRun"
  | "fileName"
  | "actor"
>;

const columns =
  sql.raw(`tenant_id, id, state, shape, format, encoding, date_format, id_property, mapping, column_mapping, dry_run, file_name, actor,
  upload_bytes, upload_pieces, checkpoint_row, bytes_read, rows_read, rows_created, rows_updated, rows_unchanged,
  rows_failed, error_code, error_message, run_started_at, run_start_row, run_start_bytes, created_at, started_at,
  finished_at, updated_at`);

type Db = Kysely<Database> | Transaction<Database>;

// A job lists at most this many columns it did not import (an NDJSON file's records may each carry others).
const maxListedUnmappedColumns = 200;

function toJob(row: Record<string, unknown>): ImportJob {
  const job = row as unknown as ImportJob;
  for (const key of [
    "tenantId",
    "id",
    "uploadBytes",
    "uploadPieces",
    "checkpointRow",
    "bytesRead",
    "rowsRead",
    "rowsCreated",
    "rowsUpdated",
    "rowsUnchanged",
    "rowsFailed",
    "runStartRow",
    "runStartBytes",
  ] as const) {
    (job as unknown as Record<string, number>)[key] = Number(row[key]);
  }
  const pairs = row.columnMapping as Array<[string, string | null]>;
  job.columnMapping = Object.fromEntries(pairs);
  job.unmappedColumns = pairs
    .filter(([, target]) => target === null)
    .slice(0, maxListedUnmappedColumns)
    .map(([column]) => column);
  return job;
}

/** A job's column mapping as its jsonb column takes it. */
function mappingParameter(mapping: Record<string, string> | null) {
  return sql`${mapping === null ? null : JSON.stringify(mapping)}::jsonb`;
}

/** Creates a job in state `uploading`; its upload pieces are added next. */
export async function createImportJob(db: Db, job: NewImportJob): Promise<ImportJob> {
  const result = await sql<Record<string, unknown>>`
    insert into import_jobs (tenant_id, shape, format, encoding, date_format, id_property, mapping, dry_run, file_name, actor)
    values (${job.tenantId}, ${job.shape}, ${job.format}, ${job.encoding}, ${job.dateFormat}, ${job.idProperty},
      ${mappingParameter(job.mapping)}, ${job.dryRun}, ${job.fileName}, ${job.actor})
    returning ${columns}`.execute(db);
  return toJob(result.rows[0]);
}

/** One job of a tenant, or undefined. */
export async function getImportJob(db: Db, tenantId: number, id: number): Promise<ImportJob | undefined> {
  const result = await sql<Record<string, unknown>>`
    select ${columns} from import_jobs where tenant_id = ${tenantId} and id = ${id}`.execute(db);
  return result.rows[0] ? toJob(result.rows[0]) : undefined;
}

/** A tenant's jobs, newest first: `limit` of them with an id below `beforeId`, in one state or any. */
export async function listImportJobs(
  db: Db,
  tenantId: number,
  options: { limit: number; beforeId?: number; state?: ImportState },
): Promise<ImportJob[]> {
  const before = options.beforeId === undefined ? sql`` : sql` and id < ${options.beforeId}`;
  const state = options.state === undefined ? sql`` : sql` and state = ${options.state}`;
  const result = await sql<Record<string, unknown>>`
    select ${columns} from import_jobs where tenant_id = ${tenantId}${before}${state}
    order by id desc limit ${options.limit}`.execute(db);
  return result.rows.map(toJob);
}

/** The job row locked for the rest of the caller's transaction (each chunk takes it before it writes). */
export async function lockImportJob(
  trx: Transaction<Database>,
  tenantId: number,
  id: number,
  options: { asyncCommit?: boolean } = {},
): Promise<ImportJob | undefined> {
  // `asyncCommit`: the transaction's commit will not wait for its WAL flush (SET LOCAL, in the same round
  // trip as the lock; run-import.ts says why a chunk may).
  const asyncCommit = options.asyncCommit
    ? sql`set_config('synchronous_commit', 'off', true) as async_commit, `
    : sql``;
  const result = await sql<Record<string, unknown>>`
    select ${asyncCommit}${columns} from import_jobs where tenant_id = ${tenantId} and id = ${id} for update`.execute(
    trx,
  );
  return result.rows[0] ? toJob(result.rows[0]) : undefined;
}

/** Jobs that are queued or were running when their process stopped: the runner picks them up at start. */
export async function listUnfinishedImportJobs(
  db: Db,
  states: ReadonlyArray<"queued" | "running"> = ["queued", "running"],
): Promise<Array<{ tenantId: number; id: number }>> {
  const result = await sql<{ tenantId: number; id: number }>`
    select tenant_id, id from import_jobs where state = any(${states}::text[]) order by created_at`.execute(
    db,
  );
  return result.rows.map((r) => ({ tenantId: Number(r.tenantId), id: Number(r.id) }));
}

/**
 * Stores the next piece of a job's upload while the job is `uploading`, and answers whether it did: a job
 * that ended while its file arrived (cancelled, or failed by the run started on it) takes no more pieces,
 * and its upload stops.
 */
// On PGlite pieces travel as base64 text: it moves a bytea parameter or column at 4-10 MB/s and base64 at
// 28-110 MB/s (measured, 1 MiB pieces). PostgreSQL takes them as binary parameters.
export async function addUploadPiece(
  db: Db,
  tenantId: number,
  jobId: number,
  seq: number,
  data: Buffer,
  binary: boolean,
): Promise<boolean> {
  // pg sends a Buffer parameter in binary; PGlite encodes bytea as hex text in JavaScript, several times slower
  // than base64 (docs/benchmarks-import.md), so there the piece travels as base64 text.
  const value = binary ? sql`${data}` : sql`decode(${data.toString("base64")}, 'base64')`;
  // The job's updated_at says the upload is alive: a server sweeping interrupted uploads leaves it alone.
  // A run started while the file arrives holds the job row's lock through each chunk's transaction and
  // moves updated_at itself: the piece does not wait for that lock (skip locked), nor for a cancel's. A
  // piece that saw the job `uploading` just before a cancel committed may still land after the cancel's
  // delete: finishUpload (or the stopped upload) deletes it, after the last piece is written.
  const result = await sql`with alive as (
      update import_jobs set updated_at = now()
      where (tenant_id, id) in (select tenant_id, id from import_jobs
        where tenant_id = ${tenantId} and id = ${jobId} and state = 'uploading' for update skip locked))
    insert into import_upload_pieces (tenant_id, job_id, seq, data)
    select ${tenantId}, ${jobId}, ${seq}, ${value}
    where exists (select 1 from import_jobs where tenant_id = ${tenantId} and id = ${jobId} and state = 'uploading')`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0) > 0;
}

/** Whether a job still takes its upload's bytes (`uploading`), for an upload stored as a file. */
export async function isUploading(db: Db, tenantId: number, jobId: number): Promise<boolean> {
  const result = await sql`select 1 from import_jobs
    where tenant_id = ${tenantId} and id = ${jobId} and state = 'uploading'`.execute(db);
  return result.rows.length > 0;
}

/** Jobs still `uploading` that received nothing for `idleSeconds`: their upload's process stopped. */
export async function listIdleUploads(
  db: Db,
  idleSeconds: number,
): Promise<Array<{ tenantId: number; id: number; rowsRead: number }>> {
  const result = await sql<{ tenantId: number; id: number; rowsRead: number }>`
    select tenant_id, id, rows_read from import_jobs
    where state = 'uploading' and updated_at <= now() - make_interval(secs => ${idleSeconds})
    order by created_at`.execute(db);
  return result.rows.map((r) => ({
    tenantId: Number(r.tenantId),
    id: Number(r.id),
    rowsRead: Number(r.rowsRead),
  }));
}

/** What a job reads its upload with; settable while it is still `uploading` (form fields after the file part). */
export type ImportReadOptions = Pick<
  ImportJob,
  "shape" | "format" | "encoding" | "dateFormat" | "idProperty" | "mapping" | "dryRun"
>;

/** Sets a job's read options while its upload is still arriving; a job past `uploading` keeps its own. */
export async function setUploadingJobOptions(
  db: Db,
  tenantId: number,
  jobId: number,
  options: ImportReadOptions,
) {
  await sql`update import_jobs set shape = ${options.shape}, format = ${options.format}, encoding = ${options.encoding},
      date_format = ${options.dateFormat}, id_property = ${options.idProperty},
      mapping = ${mappingParameter(options.mapping)},
      dry_run = ${options.dryRun}, updated_at = now()
    where tenant_id = ${tenantId} and id = ${jobId} and state = 'uploading'`.execute(db);
}

/** States a job ends in; it never reads its upload again. */
export const endedImportStates: readonly ImportState[] = ["completed", "failed", "cancelled"];

/**
 * Marks the upload complete, with its size: the job is queued, or `running` when a run started while the
 * file arrived (then a job that run already ended keeps its end). Answers the job's state. A job that ended
 * while its file arrived (cancelled) has its pieces deleted here: the update waits for the lock of a cancel
 * in flight, and every piece of this upload is written by now, so none is left behind.
 */
export async function finishUpload(
  db: Kysely<Database>,
  tenantId: number,
  jobId: number,
  bytes: number,
  pieces: number,
  state: "queued" | "running" = "queued",
): Promise<ImportState | undefined> {
  return db.transaction().execute(async (trx) => {
    const result = await sql<{ state: ImportState }>`
      update import_jobs set upload_bytes = ${bytes}, upload_pieces = ${pieces}, updated_at = now(),
        state = case when state = 'uploading' then ${state} else state end
      where tenant_id = ${tenantId} and id = ${jobId} returning state`.execute(trx);
    const now = result.rows[0]?.state;
    if (now && endedImportStates.includes(now)) await deleteUploadPieces(trx, tenantId, jobId);
    return now;
  });
}

/** The size a job's upload declared (Content-Length), so a run started while it arrives shows its percent. */
export async function setDeclaredUploadBytes(db: Db, tenantId: number, jobId: number, bytes: number) {
  await sql`update import_jobs set upload_bytes = ${bytes} where tenant_id = ${tenantId} and id = ${jobId}`.execute(
    db,
  );
}

/**
 * The upload's bytes in order, a few pieces per query, so a reader never holds more than a few MiB and
 * any process on the database can read what another one received. `binary` (PostgreSQL) reads the pieces
 * by binary COPY, as they are stored: `encode(…, 'base64')` cost PostgreSQL 1.6–1.8 s of a core per 54 MB,
 * and the column's own hex form cost the JavaScript thread 0.9 s (pg reads it as 2 MiB of text per piece).
 * PGlite decodes a bytea result in JavaScript and keeps the base64 text.
 */
export async function* readUploadPieces(
  db: Db,
  tenantId: number,
  jobId: number,
  piecesPerQuery = 4,
  binary = false,
  range: { from: number; until: number } = { from: 0, until: 2 ** 31 - 1 },
): AsyncGenerator<Buffer> {
  let next = range.from;
  const until = range.until;
  for (;;) {
    if (next >= until) return;
    const rows = binary
      ? (
          await copyOutBinary(
            // Integers only: a COPY's query takes no parameters.
            `select seq, data from import_upload_pieces where tenant_id = ${integer(tenantId)}
              and job_id = ${integer(jobId)} and seq >= ${integer(next)} and seq < ${integer(until)}
              order by seq limit ${integer(piecesPerQuery)}`,
            ["seq", "data"],
          ).execute(db)
        ).rows.map((row) => ({
          // seq is an integer column: four bytes, big-endian.
          seq: (row.seq as Buffer).readInt32BE(0),
          data: row.data as Buffer,
        }))
      : (
          await sql<{ seq: number; data: string }>`
            select seq, encode(data, 'base64') as data from import_upload_pieces where tenant_id = ${tenantId}
              and job_id = ${jobId} and seq >= ${next} and seq < ${until} order by seq limit ${piecesPerQuery}`.execute(
            db,
          )
        ).rows.map((row) => ({ seq: Number(row.seq), data: Buffer.from(row.data, "base64") }));
    if (rows.length === 0) return;
    for (const row of rows) {
      yield row.data;
      next = row.seq + 1;
    }
  }
}

/** An integer's decimal text, for the few statements that cannot take it as a parameter. */
function integer(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
  return String(value);
}

/** Deletes a job and everything it stored (a refused upload). */
export async function deleteImportJob(db: Db, tenantId: number, jobId: number) {
  for (const table of [
    "import_row_errors",
    "import_failed_rows",
    "import_result_chunks",
    "import_upload_pieces",
  ]) {
    await sql`delete from ${sql.raw(table)} where tenant_id = ${tenantId} and job_id = ${jobId}`.execute(db);
  }
  await sql`delete from import_jobs where tenant_id = ${tenantId} and id = ${jobId}`.execute(db);
}

/**
 * Moves a queued or interrupted job to running and starts a new measurement window for rows/s. With
 * `whileUploading` (the process receiving the file starts the run) an `uploading` job may start too, and
 * stays `uploading` until its upload completes.
 */
export async function startImportRun(
  db: Db,
  tenantId: number,
  jobId: number,
  whileUploading = false,
): Promise<ImportJob | undefined> {
  const result = await sql<Record<string, unknown>>`
    update import_jobs set state = case when state = 'uploading' then state else 'running' end,
      started_at = coalesce(started_at, now()), run_started_at = now(),
      run_start_row = rows_read, run_start_bytes = bytes_read, updated_at = now()
    where tenant_id = ${tenantId} and id = ${jobId}
      and (state in ('queued', 'running') or (${whileUploading} and state = 'uploading'))
    returning ${columns}`.execute(db);
  return result.rows[0] ? toJob(result.rows[0]) : undefined;
}

/** How a job ends. */
export type ImportJobEnd = "completed" | "failed" | "cancelled";

/** Why a failed job failed, as its status shows it. */
export interface ImportJobError {
  code: string;
  message: string;
}

/**
 * Marks a job ended (completed, failed or cancelled) unless it already ended, and answers whether this call
 * ended it. The update takes the job row's lock, which each chunk's transaction holds while it writes: it
 * waits for a chunk in flight to commit, and no chunk commits after it (a chunk checks the state under that
 * lock), so the job's outcomes are final once this returns.
 */
export async function markImportJobEnded(
  db: Db,
  tenantId: number,
  jobId: number,
  state: ImportJobEnd,
  error?: ImportJobError,
): Promise<boolean> {
  const result = await sql`
    update import_jobs set state = ${state}, finished_at = now(), updated_at = now(),
      error_code = ${error?.code ?? null}, error_message = ${error ? storableText(error.message) : null},
      bytes_read = case when ${state} = 'completed' then upload_bytes else bytes_read end
    where tenant_id = ${tenantId} and id = ${jobId} and state in ('uploading', 'queued', 'running')`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0) > 0;
}

/** Deletes the pieces of a job's upload kept in the database (an ended job never reads them again). */
export async function deleteUploadPieces(db: Db, tenantId: number, jobId: number): Promise<void> {
  await sql`delete from import_upload_pieces where tenant_id = ${tenantId} and job_id = ${jobId}`.execute(db);
}

/**
 * Deletes the pieces left behind by jobs that ended at least `seconds` ago (a server stopped between a
 * cancel's mark and its delete) and answers how many jobs had some.
 */
export async function deleteEndedJobsPieces(db: Db, seconds: number): Promise<number> {
  const result = await sql<{ jobId: number }>`
    delete from import_upload_pieces p using import_jobs j
    where j.tenant_id = p.tenant_id and j.id = p.job_id and j.state in ('completed', 'failed', 'cancelled')
      and j.finished_at <= now() - make_interval(secs => ${seconds})
    returning p.job_id`.execute(db);
  return new Set(result.rows.map((row) => Number(row.jobId))).size;
}

/** Ends a job (completed, failed or cancelled) unless it already ended, and deletes its upload's pieces. */
export async function finishImportJob(
  db: Kysely<Database>,
  tenantId: number,
  jobId: number,
  state: ImportJobEnd,
  error?: ImportJobError,
): Promise<boolean> {
  // One transaction: a process killed between the two must not leave a running job without its upload
  // (it would resume, read an empty file and fail), nor an ended one with it.
  return db.transaction().execute(async (trx) => {
    const ended = await markImportJobEnded(trx, tenantId, jobId, state, error);
    // An ended job never reads its upload again; the results stay. A million-row CSV is half a GiB.
    await deleteUploadPieces(trx, tenantId, jobId);
    return ended;
  });
}

export interface ChunkCounts {
  lastRow: number;
  bytesRead: number;
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  /** the job's applied column mapping when this chunk met new columns; absent keeps the stored one */
  columnMapping?: Record<string, string | null>;
}

/**
 * A column mapping as its jsonb column keeps it: [column, field] pairs in the file's order, each column name
 * one that jsonb can hold (a file's headers are the sender's text: storableText).
 */
function storableMapping(mapping: Record<string, string | null>): Array<[string, string | null]> {
  return Object.entries(mapping).map(([column, target]) => [storableText(column), target]);
}

/** The update that advances a job's checkpoint and counters by a chunk's (`recordChunk` sends it). */
export function checkpointAdvance(tenantId: number, jobId: number, counts: ChunkCounts): RawBuilder<unknown> {
  return sql`
    update import_jobs set checkpoint_row = ${counts.lastRow}, bytes_read = greatest(bytes_read, ${counts.bytesRead}),
      rows_read = rows_read + ${counts.read}, rows_created = rows_created + ${counts.created},
      rows_updated = rows_updated + ${counts.updated}, rows_unchanged = rows_unchanged + ${counts.unchanged},
      rows_failed = rows_failed + ${counts.failed}, updated_at = now(),
      column_mapping = coalesce(${counts.columnMapping ? JSON.stringify(storableMapping(counts.columnMapping)) : null}::jsonb, column_mapping)
    where tenant_id = ${tenantId} and id = ${jobId}`;
}
