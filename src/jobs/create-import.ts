import { type DateFormat, dateFormats } from "../core/dates.js";
import { TributaryError } from "../core/errors.js";
import { parseIdProperty, requireIdProperty } from "../core/match-key.js";
import { FileRejectedError, type RecordOutcome } from "../formats/records.js";
import { encodingNamed } from "../formats/transcode.js";
import type { Store } from "../store/database.js";
import {
  createImportJob,
  deleteImportJob,
  finishUpload,
  getImportJob,
  type ImportFormat,
  type ImportJob,
  type ImportReadOptions,
  setDeclaredUploadBytes,
  setUploadingJobOptions,
} from "../store/imports/import-jobs.js";
import {
  ArrivingUpload,
  deleteUpload,
  endImportJob,
  openUploadWriter,
  readUpload,
  removeUploadFile,
} from "../store/imports/upload-storage.js";
import { ColumnMapper, unknownMappingTargets } from "./header-mapping.js";
import { type ImportShape, importShapeNamed, importShapes } from "./import-shapes.js";
import { readUploadRecords } from "./read-upload-records.js";
import type { RunEnd } from "./run-import.js";

export interface ImportRequest {
  tenantId: number;
  actor: string;
  format: ImportFormat;
  /** the file's character encoding, any label a TextDecoder knows (`windows-1252`, `latin1`, …); UTF-8 when absent */
  encoding?: string;
  /** the order of the file's day-first or month-first dates (HubSpot's names); YEAR_MONTH_DAY when absent */
  dateFormat?: string;
  shape?: string;
  idProperty?: string;
  mapping?: Record<string, string> | null;
  dryRun?: boolean;
  fileName?: string | null;
}

/** Largest upload, in bytes as sent (compressed when gzip); TRIBUTARY_IMPORT_MAX_BYTES, default 1 GiB. */
export function importMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TRIBUTARY_IMPORT_MAX_BYTES;
  const value = raw ? Number(raw) : 1024 ** 3;
  return Number.isFinite(value) && value > 0 ? value : 1024 ** 3;
}

const pieceBytes = 1024 * 1024;

/** Checks an import's options; throws a 4xx TributaryError naming what is wrong. */
export function checkImportRequest(request: ImportRequest): {
  shape: ImportShape;
  idProperty: string;
  /** the encoding's WHATWG name */
  encoding: string;
  dateFormat: DateFormat;
} {
  const shapeName = request.shape ?? "native";
  const shape = importShapeNamed(shapeName);
  if (!shape) {
    throw new TributaryError(
      "REQUEST_BODY_INVALID",
      `shape '${shapeName}' is not one of ${Object.keys(importShapes).join(", ")}`,
      [{ code: "REQUEST_BODY_INVALID", field: "shape", message: "unknown shape" }],
    );
  }
  const idProperty = request.idProperty ?? shape.idProperty;
  requireIdProperty(idProperty);
  const encoding = request.encoding === undefined ? "utf-8" : encodingNamed(request.encoding);
  if (!encoding) {
    throw new TributaryError(
      "REQUEST_BODY_INVALID",
      `encoding '${request.encoding}' is not one a reader knows (utf-8, windows-1252, iso-8859-15, utf-16le, …)`,
      [{ code: "REQUEST_BODY_INVALID", field: "encoding", message: "unknown encoding" }],
    );
  }
  const dateFormat = (request.dateFormat ?? "YEAR_MONTH_DAY") as DateFormat;
  if (!dateFormats.includes(dateFormat)) {
    throw new TributaryError(
      "REQUEST_BODY_INVALID",
      `dateFormat '${request.dateFormat}' is not one of ${dateFormats.join(", ")}`,
      [{ code: "REQUEST_BODY_INVALID", field: "dateFormat", message: "unknown date format" }],
    );
  }
  // The vendors' shapes read dates as their pages write them; only the native shape reads a spreadsheet's.
  if (dateFormat !== "YEAR_MONTH_DAY" && shape.name !== "native") {
    throw new TributaryError(
      "REQUEST_BODY_INVALID",
      `dateFormat applies to the native shape; the ${shape.name} shape reads dates as its vendor's page writes them`,
      [{ code: "REQUEST_BODY_INVALID", field: "dateFormat", message: "not for this shape" }],
    );
  }

  if (request.mapping) {
    const unknown = unknownMappingTargets(shape, request.mapping);
    if (unknown.length > 0) {
      throw new TributaryError(
        "REQUEST_BODY_INVALID",
        `the mapping names fields the ${shape.name} shape does not know: ${unknown.join(", ")}`,
        unknown.map((target) => ({
          code: "REQUEST_BODY_INVALID",
          field: `mapping.${target}`,
          message: "unknown field",
        })),
      );
    }
  }
  return { shape, idProperty, encoding, dateFormat };
}

/** What a job reads its upload with, from a request `checkImportRequest` accepts (it throws otherwise). */
function readOptionsOf(request: ImportRequest): { shape: ImportShape; options: ImportReadOptions } {
  const { shape, idProperty, encoding, dateFormat } = checkImportRequest(request);
  return {
    shape,
    options: {
      shape: shape.name,
      format: request.format,
      encoding,
      dateFormat,
      idProperty,
      mapping: request.mapping ?? null,
      dryRun: request.dryRun ?? false,
    },
  };
}

/** Options that arrive after the upload's bytes (a form's fields after its file part), merged over the first. */
export type LateImportOptions = () => Promise<Partial<Omit<ImportRequest, "tenantId" | "actor">>>;

/**
 * Starting the job's run while its file still arrives, in this process: for an upload whose size is
 * declared within the limit (so no 413 can come part-way) and whose options are all known before its bytes.
 */
export interface EarlyStart {
  /** the upload's size as declared (Content-Length) */
  declaredBytes: number;
  /** starts the run on the arriving bytes (`ImportRunner.runWhileUploading`) */
  run(job: ImportJob, arriving: AsyncIterable<Buffer>): Promise<RunEnd>;
}

/**
 * Stores an upload as it streams (1 MiB pieces, never the whole file in memory), then reads its first row
 * to refuse a file that is unusable as a whole (no header, UTF-16, not a JSON array, nothing mapped). The
 * job comes back queued; the caller hands it to a runner (or runs it). `lateOptions`, asked once the bytes
 * are stored, may change the job's options before it is queued: nothing has read the upload yet.
 *
 * With `early` (PostgreSQL) the first row is read as soon as it is stored, and the job's run starts then,
 * reading each piece once it is stored, so the import goes on while the rest of the file arrives (on a
 * million-row file the upload alone took a fifth of the import's time). The job then comes back `running`,
 * or already ended. An upload that breaks off after the run committed a chunk leaves the job `failed` with
 * IMPORT_UPLOAD_INTERRUPTED, its committed rows in place and listed in its results; before that, nothing
 * is left, as without `early`.
 */
export async function createImport(
  store: Store,
  firstRequest: ImportRequest,
  body: AsyncIterable<Buffer | string>,
  maxBytes = importMaxBytes(),
  lateOptions?: LateImportOptions,
  early?: EarlyStart,
): Promise<ImportJob> {
  let request = firstRequest;
  let { shape, options } = readOptionsOf(request);
  let job = await createImportJob(store.db, {
    tenantId: request.tenantId,
    ...options,
    fileName: request.fileName ?? null,
    actor: request.actor,
  });
  // A data folder's upload is a file: the early run reads database pieces only.
  const arriving = early && !store.uploadDir && !lateOptions ? new ArrivingUpload() : undefined;
  const upload = openUploadWriter(store, job.tenantId, job.id, arriving);
  let run: Promise<RunEnd> | undefined;
  let starting: Promise<void> | undefined;
  let startFailure: unknown;
  const startRun = (from: ArrivingUpload, declared: EarlyStart) => {
    const started = job;
    starting = (async () => {
      await setDeclaredUploadBytes(store.db, started.tenantId, started.id, declared.declaredBytes);
      await probeUpload(
        store,
        started,
        shape,
        request.mapping ?? null,
        from.read(store, started.tenantId, started.id),
      );
      run = declared.run(started, from.read(store, started.tenantId, started.id));
      // Its failure is the runner's: a run that throws is tried again once the job is queued.
      run.catch(() => {});
    })();
    starting.catch((error: unknown) => {
      startFailure = error;
    });
  };
  /**
   * The job ended while its file arrived (a cancel; or the run started on it failed, or the idle-upload
   * sweep ended it): the upload stops, anything of it stored is deleted (a piece written as the cancel
   * committed landed after the cancel's delete), and the job is answered as it stands.
   */
  const endedWhileUploading = async (): Promise<ImportJob> => {
    await upload.finish().catch(() => {});
    arriving?.interrupt("the job ended while its file arrived");
    await starting?.catch(() => {});
    await run?.catch(() => {});
    await deleteUpload(store, job.tenantId, job.id);
    return (await getImportJob(store.db, job.tenantId, job.id)) as ImportJob;
  };
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let total = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      await upload.add(Buffer.concat(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
      if (arriving && early && !starting) startRun(arriving, early);
    };
    for await (const part of body) {
      const chunk = typeof part === "string" ? Buffer.from(part) : part;
      total += chunk.length;
      if (total > maxBytes) {
        throw new TributaryError("REQUEST_TOO_LARGE", `the upload is over the limit of ${maxBytes} bytes`);
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= pieceBytes) await flush();
      // A file refused by its first row stops here, not after the rest of it has been stored.
      if (startFailure !== undefined) throw startFailure;
      // A job cancelled while its file arrives takes no more of it: the rest of the body is not stored.
      if (upload.ended) return await endedWhileUploading();
    }
    await flush();
    const pieces = await upload.finish();
    if (upload.ended) return await endedWhileUploading();
    if (total === 0) throw new TributaryError("REQUEST_BODY_INVALID", "the upload is empty");
    if (arriving) {
      arriving.complete();
      await starting;
    } else {
      const late = lateOptions ? await lateOptions() : {};
      if (Object.keys(late).length > 0) {
        request = { ...request, ...late };
        ({ shape, options } = readOptionsOf(request));
        await setUploadingJobOptions(store.db, job.tenantId, job.id, options);
        job = { ...job, ...options };
      }
      await probeUpload(store, job, shape, request.mapping ?? null);
    }
    const state = await finishUpload(
      store.db,
      job.tenantId,
      job.id,
      total,
      pieces,
      run ? "running" : "queued",
    );
    // Cancelled between its last piece and here: finishUpload deleted its pieces; a file goes too.
    if (state === "cancelled") await removeUploadFile(store, job.tenantId, job.id);
  } catch (error) {
    // A piece still being written would land after the delete below and stay behind.
    await upload.finish().catch(() => {});
    // A job that ended while its file arrived (a cancel) stays as it ended, with its rows and results.
    if (upload.ended) {
      await deleteUpload(store, job.tenantId, job.id).catch(() => {});
      throw error;
    }
    if (arriving) {
      arriving.interrupt(
        "the upload broke off before the whole file arrived; the rows of the chunks written before stay (see the results); send the file again",
      );
      await starting?.catch(() => {});
      await run?.catch(() => {});
      const now = await getImportJob(store.db, job.tenantId, job.id);
      if (now && now.rowsRead > 0) {
        // The run committed rows: the job stays, failed (the run ended it, or it ends here).
        await endImportJob(store, job.tenantId, job.id, "failed", {
          code: "IMPORT_UPLOAD_INTERRUPTED",
          message:
            "the upload broke off before the whole file arrived; the rows written before stay; send the file again",
        });
        throw error;
      }
    }
    await removeUploadFile(store, job.tenantId, job.id);
    await deleteImportJob(store.db, job.tenantId, job.id);
    throw error;
  }
  return (await getImportJob(store.db, job.tenantId, job.id)) as ImportJob;
}

// As many rows as a preview shows (preview-import.ts), which checks the same.
const probedRows = 50;

/** Reads the stored upload's first record: a file unusable as a whole is refused before it is queued. */
async function probeUpload(
  store: Store,
  job: ImportJob,
  shape: ImportShape,
  mapping: Record<string, string> | null,
  upload: AsyncIterable<Buffer> = readUpload(store, job.tenantId, job.id, 1),
): Promise<void> {
  const outcomes = readUploadRecords(upload, job.format, job.encoding);
  let first: RecordOutcome | undefined;
  try {
    // The first row that reads as a record, among as many as a preview shows: a ragged or mis-encoded first
    // row used to leave the file's columns unchecked, and its mapping's mistakes failed every row instead.
    for (let read = 0; read < probedRows && first?.kind !== "record"; read++) {
      const next = await outcomes.next();
      if (next.done) break;
      first = next.value;
    }
  } catch (error) {
    if (error instanceof FileRejectedError)
      throw new TributaryError("REQUEST_BODY_INVALID", `${error.code}: ${error.message}`, [
        { code: "REQUEST_BODY_INVALID", field: "file", message: error.message },
      ]);
    // gunzip reports a damaged archive as a plain Error; anything else here is ours.
    if ((error as { code?: string }).code?.startsWith("Z_"))
      throw new TributaryError(
        "REQUEST_BODY_INVALID",
        `the gzip data is damaged: ${(error as Error).message}`,
      );
    throw error;
  } finally {
    await outcomes.return(undefined);
  }
  if (first?.kind !== "record") return;
  checkFileColumns(Object.keys(first.fields), shape, { ...job, mapping });
}

/**
 * Refuses a file whose first row's columns make it unusable as a whole: a mapping naming columns a CSV lacks,
 * no column mapping to any field, or (CSV) no column for the match key. The upload and the preview both ask.
 */
export function checkFileColumns(
  columns: string[],
  shape: ImportShape,
  job: { format: ImportFormat; idProperty: string; mapping: Record<string, string> | null },
): void {
  const { mapping } = job;
  const mapper = new ColumnMapper(shape, mapping);
  if (mapping && job.format === "csv") {
    const missing = Object.keys(mapping).filter((column) => !columns.includes(column));
    if (missing.length > 0)
      throw new TributaryError(
        "REQUEST_BODY_INVALID",
        `the mapping names columns the file does not have: ${missing.join(", ")} (the file has ${columns.join(", ")})`,
      );
  }
  // A failed-rows file's own `tributary_` columns feed nothing by design: a first record of those alone (an
  // unreadable line sent back unfixed) is that row's problem, not the file's.
  const judged = columns.filter((column) => !column.startsWith("tributary_"));
  if (judged.length > 0 && judged.every((column) => mapper.targetOf(column) === null)) {
    throw new TributaryError(
      "REQUEST_BODY_INVALID",
      `no column maps to a ${shape.name} field (columns: ${columns.join(", ")}); send a mapping`,
    );
  }
  // A CSV's header is every row's: with no column for the match key, every row would fail alike. Salesforce's
  // Bulk API refuses a job whose external id field is not a column of the file, likewise.
  const idProperty = parseIdProperty(job.idProperty);
  const keyTargets = job.format === "csv" && idProperty ? shape.matchKeyTargets?.(idProperty) : null;
  if (keyTargets && !columns.some((column) => keyTargets.includes(mapper.targetOf(column) ?? ""))) {
    throw new TributaryError(
      "REQUEST_BODY_INVALID",
      `no column maps to ${keyTargets[0]}, which idProperty '${job.idProperty}' matches on (columns: ${columns.join(", ")}); map a column to it or choose another idProperty`,
      [{ code: "REQUEST_BODY_INVALID", field: "idProperty", message: `no column maps to ${keyTargets[0]}` }],
    );
  }
}
