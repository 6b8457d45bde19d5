import type { Socket } from "node:net";
import { Readable } from "node:stream";
import multipart, { type Multipart } from "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import { dateFormats } from "../../core/dates.js";
import { TributaryError } from "../../core/errors.js";
import { csvLine } from "../../formats/csv/write-csv.js";
import { joinedLines } from "../../formats/joined-lines.js";
import { ndjsonLine } from "../../formats/ndjson/write-ndjson.js";
import { acceptedMediaTypes } from "../../http/accepted-media-types.js";
import {
  claimUploadKey,
  idempotencyKeyOf,
  recordUploadAnswer,
  releaseUploadKey,
  UploadHash,
  unreadUpload,
} from "../../http/idempotent-upload.js";
import { IdParams, pathId } from "../../http/path-id.js";
import { actorOf, principalOf } from "../../http/principal.js";
import { requireToken } from "../../http/require-token.js";
import { cancelImport } from "../../jobs/cancel-import.js";
import {
  checkImportRequest,
  createImport,
  type ImportRequest,
  importMaxBytes,
} from "../../jobs/create-import.js";
import { failedRowsCsv, failedRowsNdjson } from "../../jobs/failed-rows-file.js";
import { describeImportJob } from "../../jobs/import-progress.js";
import { createImportRunner } from "../../jobs/import-runner.js";
import { previewImport } from "../../jobs/preview-import.js";
import { formatOf } from "../../jobs/read-upload-records.js";
import type { Store } from "../../store/database.js";
import { firstKeptSourceColumns, readFailedRows } from "../../store/imports/failed-rows.js";
import {
  endedImportStates,
  getImportJob,
  type ImportFormat,
  type ImportJob,
  type ImportState,
  importStates,
  listImportJobs,
} from "../../store/imports/import-jobs.js";
import { type RowOutcome, readRowOutcomes } from "../../store/imports/import-results.js";
import { decodeCursor, encodeCursor } from "./cursor.js";

const OptionsQuery = Type.Object(
  {
    shape: Type.Optional(Type.String({ maxLength: 40 })),
    idProperty: Type.Optional(Type.String({ maxLength: 40 })),
    dryRun: Type.Optional(Type.Boolean()),
    format: Type.Optional(Type.Union([Type.Literal("csv"), Type.Literal("ndjson"), Type.Literal("json")])),
    encoding: Type.Optional(Type.String({ maxLength: 40 })),
    dateFormat: Type.Optional(
      Type.String({
        maxLength: 40,
        description: `The order of the file's day-first or month-first dates: ${dateFormats.join(", ")} (HubSpot's names); native shape only`,
      }),
    ),
    mapping: Type.Optional(Type.String({ maxLength: 100_000 })),
    fileName: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

type OptionsQuery = {
  shape?: string;
  idProperty?: string;
  dryRun?: boolean;
  format?: ImportFormat;
  encoding?: string;
  dateFormat?: string;
  mapping?: string;
  fileName?: string;
};

const streamedTypes = [
  "text/csv",
  "application/csv",
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/json",
  "application/gzip",
  "application/x-gzip",
  "application/octet-stream",
];

const resultColumns = ["row", "status", "contactId", "errorCode", "field", "message"];

/**
 * Bulk imports under /api/v1/imports (docs/imports.md): the upload streams into the database and a
 * runner (pg-boss on PostgreSQL, in-process on PGlite) writes it in checkpointed chunks.
 */
export async function importRoutes(app: FastifyInstance, { store }: { store: Store }) {
  const runner = createImportRunner(store, {
    log: (message, detail) => app.log.warn(detail ?? {}, message),
  });
  app.addHook("onReady", () => runner.start());
  app.addHook("onClose", () => runner.stop());
  const maxBytes = importMaxBytes();

  // Upload bodies are streamed, never parsed whole: the handler reads request.body as the raw stream.
  for (const type of streamedTypes) if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
  app.addContentTypeParser(streamedTypes, (_request, payload, done) => done(null, payload));
  // Any other type streams too, so the handler can take it with `format` (a client that labels every file
  // application/vnd.ms-excel or text/plain) or refuse it naming what it got, instead of a bare 415.
  app.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
  // Two files, not one: busboy's own limit answers a second file part as "reach files limit" (a 413); at
  // two, `late` sees it and refuses the form with 400, naming what is wrong.
  await app.register(multipart, { limits: { fileSize: maxBytes + 1, files: 2, fields: 10 } });
  // An answer given before the body's end (a preview after its first rows, a 413 part-way, a file refused at
  // its first row) leaves the rest unread. Unread, the connection stays open for good: a socket whose unread
  // bytes fill its window never sees the client's FIN (and the server's close waits for it). So the rest is
  // read past, as HTTP/1.1 expects; a reader that stopped early leaves its async iterator's 'readable'
  // listener on the request, and while one is there `resume()` does nothing. A request stream a reader
  // destroyed (an upload over the limit) can no longer be read: its connection is closed after the answer.
  const sockets = new WeakMap<object, Socket>();
  app.addHook("onRequest", async (request) => {
    sockets.set(request.raw, request.raw.socket);
  });
  app.addHook("onResponse", async (request) => {
    const body = request.raw;
    if (body.complete) return;
    if (body.destroyed) {
      const socket = sockets.get(body);
      // FIN first, so a client still sending reads the answer before the reset that unread bytes bring.
      socket?.end();
      setTimeout(() => socket?.destroy(), 1000).unref();
      return;
    }
    body.unpipe();
    body.removeAllListeners("readable");
    body.on("error", () => {});
    body.resume();
  });
  // onRequest, not preHandler: a caller without a token hears 401 before its query or body is looked at.
  app.addHook("onRequest", requireToken(store, ["contacts:write"]));

  /**
   * The upload's options and byte stream, from the query string plus a raw or multipart body. A form's
   * fields may come before or after its file part: those after it can only be read once the file's bytes
   * have been (`late`), so the format may still be unknown when the bytes start.
   */
  async function readUpload(request: FastifyRequest): Promise<Upload> {
    const options: OptionsQuery = { ...(request.query as OptionsQuery) };
    const declared = Number(request.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024)
      throw new TributaryError("REQUEST_TOO_LARGE", `the upload is over the limit of ${maxBytes} bytes`);
    const contentType = request.headers["content-type"] ?? "";
    if (request.isMultipart()) {
      const parts = formParts(request);
      for (;;) {
        const next = await parts.next();
        if (next.done) throw new TributaryError("REQUEST_BODY_INVALID", "the form has no file part");
        const part = next.value;
        if (part.type === "field") {
          takeFormField(part.fieldname, part.value, options);
          continue;
        }
        const late = async (): Promise<OptionsQuery> => {
          const more: OptionsQuery = {};
          for (;;) {
            const after = await parts.next();
            if (after.done) return more;
            if (after.value.type === "file")
              throw new TributaryError("REQUEST_BODY_INVALID", "the form has more than one file part");
            takeFormField(after.value.fieldname, after.value.value, more);
          }
        };
        return {
          options,
          body: formBytes(part.file),
          format: options.format ?? formatOf(part.mimetype) ?? formatOf(part.filename),
          described: `the file part is ${part.mimetype}`,
          fileName: part.filename || null,
          late,
        };
      }
    }
    const format =
      options.format ?? formatOf(contentType) ?? (options.fileName ? formatOf(options.fileName) : undefined);
    if (!format) throw unknownFormat(contentType || "no content type");
    return {
      options,
      body: request.body as Readable,
      format,
      described: contentType,
      fileName: options.fileName ?? null,
    };
  }

  /** The import request the options name; `format` as the upload's, once known. */
  function importRequest(request: FastifyRequest, upload: Upload): ImportRequest {
    const { options } = upload;
    const principal = principalOf(request);
    return {
      tenantId: principal.tenantId,
      actor: actorOf(principal),
      format: upload.format ?? "csv",
      encoding: options.encoding,
      dateFormat: options.dateFormat,
      shape: options.shape,
      idProperty: options.idProperty,
      mapping: options.mapping === undefined ? null : parseMapping(options.mapping),
      dryRun: options.dryRun ?? false,
      fileName: upload.fileName,
    };
  }

  /** The options of a form's fields after its file part, over the ones before it; the format settled. */
  async function lateRequest(upload: Upload): Promise<Partial<ImportRequest>> {
    const more = upload.late ? await upload.late() : {};
    const format = more.format ?? upload.format;
    if (!format) throw unknownFormat(upload.described);
    const late: Partial<ImportRequest> = {};
    if (format !== upload.format) late.format = format;
    if (more.shape !== undefined) late.shape = more.shape;
    if (more.encoding !== undefined) late.encoding = more.encoding;
    if (more.dateFormat !== undefined) late.dateFormat = more.dateFormat;
    if (more.idProperty !== undefined) late.idProperty = more.idProperty;
    if (more.mapping !== undefined) late.mapping = parseMapping(more.mapping);
    if (more.dryRun !== undefined) late.dryRun = more.dryRun;
    return late;
  }

  app.post(
    "/",
    {
      schema: {
        tags: ["imports"],
        summary: "Upload a CSV, NDJSON or JSON file (raw or multipart, gzip allowed) as an import job",
        querystring: OptionsQuery,
      },
    },
    async (request, reply) => {
      const upload = await readUpload(request);
      const importOptions = importRequest(request, upload);
      checkImportRequest(importOptions);
      const key = idempotencyKeyOf(request.headers);
      if (!key) return reply.status(202).send(await startImport(request, reply, upload, importOptions));
      const { tenantId } = principalOf(request);
      const claim = await claimUploadKey(store, tenantId, key);
      if (claim.kind === "in-flight")
        throw new TributaryError(
          "IDEMPOTENCY_KEY_IN_FLIGHT",
          `The first request with Idempotency-Key '${key}' is still running`,
        );
      const hash = new UploadHash(store, tenantId, key);
      let late: Partial<ImportRequest> = {};
      const hashed: Upload = { ...upload, body: hash.pass(upload.body) };
      if (claim.kind === "answered") {
        // A repeat stores nothing: its bytes are hashed as they are read past, then compared (unless the
        // first job ended before its own were all read: nothing to compare with).
        if (claim.requestHash !== unreadUpload) {
          let total = 0;
          for await (const piece of hashed.body) {
            total += piece.length;
            if (total > maxBytes)
              throw new TributaryError(
                "REQUEST_TOO_LARGE",
                `the upload is over the limit of ${maxBytes} bytes`,
              );
          }
          if (upload.late) late = await lateRequest(upload);
          if (hash.requestHash(importRoute, hashedOptions(importOptions, late)) !== claim.requestHash)
            throw new TributaryError(
              "IDEMPOTENCY_KEY_REUSED",
              `Idempotency-Key '${key}' was first used with another request`,
            );
        }
        const first = claim.responseBody ?? "";
        const id = (JSON.parse(first) as { id?: number }).id;
        if (id !== undefined) reply.header("location", `/api/v1/imports/${id}`);
        return reply
          .status(claim.statusCode)
          .header("idempotent-replayed", "true")
          .type(claim.contentType ?? "application/json; charset=utf-8")
          .send(first);
      }
      let answer: string;
      try {
        const job = await startImport(request, reply, hashed, importOptions, (taken) => {
          late = taken;
        });
        answer = JSON.stringify(job);
      } catch (error) {
        // A refused or broken-off upload stored nothing: the same key may send it again.
        await releaseUploadKey(store, tenantId, key);
        throw error;
      }
      const contentType = "application/json; charset=utf-8";
      await recordUploadAnswer(store, tenantId, key, {
        requestHash: hash.requestHash(importRoute, hashedOptions(importOptions, late)),
        statusCode: 202,
        contentType,
        body: answer,
      });
      return reply.status(202).type(contentType).send(answer);
    },
  );

  /** Stores the upload as a job, queues it (unless it already ended) and answers it as the 202 shows it. */
  async function startImport(
    request: FastifyRequest,
    reply: FastifyReply,
    upload: Upload,
    importOptions: ImportRequest,
    lateTaken?: (late: Partial<ImportRequest>) => void,
  ) {
    // A raw body of declared size (nothing can turn out too large part-way, and every option is known
    // before the bytes) is imported while it arrives, on a runner that can (PostgreSQL).
    const declared = Number(request.headers["content-length"]);
    const runWhileUploading = runner.runWhileUploading?.bind(runner);
    const early =
      !upload.late &&
      runWhileUploading &&
      Number.isSafeInteger(declared) &&
      declared > 0 &&
      declared <= maxBytes
        ? {
            declaredBytes: declared,
            run: (started: ImportJob, arriving: AsyncIterable<Buffer>) =>
              runWhileUploading(started.tenantId, started.id, arriving),
          }
        : undefined;
    const job = await createImport(
      store,
      importOptions,
      upload.body,
      maxBytes,
      upload.late
        ? async () => {
            const late = await lateRequest(upload);
            lateTaken?.(late);
            return late;
          }
        : undefined,
      early,
    );
    // A job cancelled while its file arrived is answered as it stands, as one that already completed is.
    if (!endedImportStates.includes(job.state)) await runner.enqueue(job.tenantId, job.id);
    reply.header("location", `/api/v1/imports/${job.id}`);
    return describeImportJob(job);
  }

  app.post(
    "/preview",
    {
      schema: {
        tags: ["imports"],
        summary: "Map and validate the first 50 rows of a file; writes nothing",
        querystring: OptionsQuery,
      },
    },
    async (request) => {
      const upload = await readUpload(request);
      if (!upload.late) {
        // What is left of the body is not needed: the onResponse hook reads past it.
        return previewImport(store, importRequest(request, upload), upload.body);
      }
      // A form's later fields come only after its file: its head is kept, the rest read past, then previewed.
      const head = await readHead(upload.body, previewHeadBytes);
      const late = await lateRequest(upload);
      return previewImport(store, { ...importRequest(request, upload), ...late }, Readable.from([head]));
    },
  );

  async function jobOf(request: FastifyRequest) {
    const id = pathId(request, "REQUEST_NOT_FOUND", "import job");
    const job = await getImportJob(store.db, principalOf(request).tenantId, id);
    if (!job) throw new TributaryError("REQUEST_NOT_FOUND", `No import job ${id}`);
    return job;
  }

  app.get(
    "/",
    {
      schema: {
        tags: ["imports"],
        summary: "The tenant's import jobs, newest first, in one state or all; cursor paging",
        querystring: Type.Object(
          {
            state: Type.Optional(Type.Union(importStates.map((state) => Type.Literal(state)))),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const {
        state,
        limit = 50,
        cursor,
      } = request.query as {
        state?: ImportState;
        limit?: number;
        cursor?: string;
      };
      const jobs = await listImportJobs(store.db, principalOf(request).tenantId, {
        limit: limit + 1,
        beforeId: cursor === undefined ? undefined : decodeCursor(cursor),
        state,
      });
      const page = jobs.slice(0, limit);
      return {
        data: page.map((job) => describeImportJob(job)),
        nextCursor: jobs.length > limit ? encodeCursor(page[page.length - 1].id) : null,
      };
    },
  );

  app.get(
    "/:id",
    { schema: { tags: ["imports"], summary: "An import job's state and progress", params: IdParams } },
    async (request) => describeImportJob(await jobOf(request)),
  );

  app.delete(
    "/:id",
    {
      schema: {
        tags: ["imports"],
        summary: "Cancel an import: it stops after the chunk being written; committed rows stay",
        params: IdParams,
      },
    },
    async (request) => {
      return describeImportJob(await cancelImport(store, await jobOf(request)));
    },
  );

  app.get(
    "/:id/results",
    {
      schema: {
        tags: ["imports"],
        summary: "Per-row outcomes as CSV or NDJSON (row, status, contactId, errorCode, field, message)",
        params: IdParams,
        querystring: Type.Object(
          {
            only: Type.Optional(Type.Literal("errors")),
            format: Type.Optional(Type.Union([Type.Literal("csv"), Type.Literal("ndjson")])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const job = await jobOf(request);
      const query = request.query as { only?: "errors"; format?: "csv" | "ndjson" };
      const only = query.only;
      const format = query.format ?? resultsFormatAccepted(request.headers.accept);
      const outcomes = readRowOutcomes(store.db, job.tenantId, job.id, only === "errors");
      const name = `import-${job.id}-${only === "errors" ? "errors" : "results"}.${format}`;
      reply.header("content-disposition", `attachment; filename="${name}"`);
      if (format === "ndjson") {
        reply.type("application/x-ndjson");
        return reply.send(Readable.from(joinedLines(outcomes, (o) => ndjsonLine(outcomeRecord(o)))));
      }
      reply.type("text/csv; charset=utf-8");
      return reply.send(
        Readable.from(
          joinedLines(
            outcomes,
            (o) => csvLine(resultColumns.map((c) => outcomeRecord(o)[c])),
            csvLine(resultColumns),
          ),
        ),
      );
    },
  );

  app.get(
    "/:id/failed-rows",
    {
      schema: {
        tags: ["imports"],
        summary:
          "The rows that failed, as the file had them, with their errors: a CSV to fix and import again (NDJSON for NDJSON and JSON files)",
        params: IdParams,
      },
    },
    async (request, reply) => {
      const job = await jobOf(request);
      if (!["completed", "failed", "cancelled"].includes(job.state))
        throw new TributaryError(
          "IMPORT_NOT_ENDED",
          `import ${job.id} is ${job.state}: its failed rows are gathered when it ends`,
        );
      const rows = readFailedRows(store.db, job.tenantId, job.id);
      const csv = job.format === "csv";
      reply.header(
        "content-disposition",
        `attachment; filename="import-${job.id}-failed-rows.${csv ? "csv" : "ndjson"}"`,
      );
      if (!csv) {
        reply.type("application/x-ndjson");
        return reply.send(Readable.from(failedRowsNdjson(rows)));
      }
      reply.type("text/csv; charset=utf-8");
      const columns = await firstKeptSourceColumns(
        store.db,
        job.tenantId,
        job.id,
        Object.keys(job.columnMapping),
      );
      return reply.send(Readable.from(failedRowsCsv(rows, columns)));
    },
  );
}

function outcomeRecord(o: RowOutcome): Record<string, unknown> {
  return {
    row: o.row,
    status: o.status,
    contactId: o.contactId,
    errorCode: o.errorCode,
    field: o.field,
    message: o.message,
  };
}

interface Upload {
  options: OptionsQuery;
  body: AsyncIterable<Buffer>;
  /** undefined while a form's file part names no format its fields before it did not give */
  format: ImportFormat | undefined;
  /** the content type as sent, for the error when no format is known */
  described: string;
  fileName: string | null;
  /** a form's fields after its file part, readable once the file part's bytes are */
  late?: () => Promise<OptionsQuery>;
}

// A preview reads 50 rows; a form that gives its options after the file is previewed from this much of it.
const previewHeadBytes = 8 * 1024 * 1024;

async function readHead(body: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const kept: Buffer[] = [];
  let size = 0;
  for await (const piece of body) {
    if (size >= limit) continue;
    const part = piece.length > limit - size ? piece.subarray(0, limit - size) : piece;
    kept.push(part);
    size += part.length;
  }
  return Buffer.concat(kept, size);
}

/**
 * A form's parts as `request.parts()` gives them, with what busboy cannot read (no boundary in the content
 * type, a body that does not match its boundary, a body cut short inside a part) refused as the client's
 * error instead of a 500.
 */
function formParts(request: FastifyRequest): AsyncIterator<Multipart> {
  let parts: AsyncIterator<Multipart> | undefined;
  return {
    async next() {
      try {
        parts ??= request.parts()[Symbol.asyncIterator]();
        return await parts.next();
      } catch (error) {
        throw unreadableForm(error);
      }
    },
  };
}

/** A file part's bytes, a body that ends inside it refused as `formParts` refuses one. */
async function* formBytes(file: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* file;
  } catch (error) {
    throw unreadableForm(error);
  }
}

function unreadableForm(error: unknown): unknown {
  // Ours (a second file part, a bad field) and @fastify/multipart's own 4xx (a limit passed) keep theirs.
  if (error instanceof TributaryError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  if (typeof status === "number" && status < 500) return error;
  return new TributaryError(
    "REQUEST_BODY_INVALID",
    `the multipart/form-data body cannot be read (${(error as Error).message}): send the boundary in the content type and parts that end with it`,
  );
}

const importRoute = "POST /api/v1/imports";

/** The options an Idempotency-Key's hash covers: the job's, as it takes them (form fields after the file included). */
function hashedOptions(request: ImportRequest, late: Partial<ImportRequest>) {
  const { tenantId: _tenant, actor: _actor, ...options } = { ...request, ...late };
  return options;
}

function unknownFormat(described: string): TributaryError {
  return new TributaryError(
    "REQUEST_UNSUPPORTED_MEDIA_TYPE",
    `${described}: send text/csv, application/x-ndjson or application/json, gzip allowed (or set format)`,
  );
}

const formFields = ["shape", "idProperty", "mapping", "format", "encoding", "dateFormat", "dryRun"];
const formats: readonly string[] = ["csv", "ndjson", "json"];

/**
 * The results' format when the query names none: NDJSON for a client whose Accept header wants
 * `application/x-ndjson` (or `application/ndjson`) more than `text/csv`, otherwise CSV.
 */
function resultsFormatAccepted(accept: string | undefined): "csv" | "ndjson" {
  for (const type of acceptedMediaTypes(accept)) {
    if (type === "application/x-ndjson" || type === "application/ndjson") return "ndjson";
    if (type === "text/csv") return "csv";
  }
  return "csv";
}

/** One form field into the options, checked as the query string's schema checks the same option. */
function takeFormField(name: string, raw: unknown, into: OptionsQuery) {
  if (!formFields.includes(name))
    throw new TributaryError("REQUEST_UNKNOWN_FIELD", `Unknown form field '${name}'`, [
      { code: "REQUEST_UNKNOWN_FIELD", field: name, message: `not one of ${formFields.join(", ")}` },
    ]);
  const value = String(raw);
  const refuse = (message: string) =>
    new TributaryError("REQUEST_BODY_INVALID", `form field ${name}: ${message}`, [
      { code: "REQUEST_BODY_INVALID", field: name, message },
    ]);
  if (name === "dryRun") {
    if (!["true", "false", "1", "0"].includes(value)) throw refuse("must be true or false");
    into.dryRun = value === "true" || value === "1";
  } else if (name === "format") {
    if (!formats.includes(value)) throw refuse(`must be one of ${formats.join(", ")}`);
    into.format = value as ImportFormat;
  } else if (name === "mapping") {
    if (value.length > 100_000) throw refuse("is longer than 100000 characters");
    into.mapping = value;
  } else {
    if (value.length > 40) throw refuse("is longer than 40 characters");
    into[name as "shape" | "idProperty" | "encoding" | "dateFormat"] = value;
  }
}

function parseMapping(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TributaryError("REQUEST_BODY_INVALID", "mapping must be a JSON object of column → field", [
      { code: "REQUEST_BODY_INVALID", field: "mapping", message: "not JSON" },
    ]);
  }
  if (
    value === null ||
    typeof value !== "object" ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== "string") ||
    Object.keys(value).some((k) => k === "__proto__" || k === "constructor")
  ) {
    throw new TributaryError("REQUEST_BODY_INVALID", "mapping must be a JSON object of column → field name", [
      { code: "REQUEST_BODY_INVALID", field: "mapping", message: "must map column names to field names" },
    ]);
  }
  return value as Record<string, string>;
}
