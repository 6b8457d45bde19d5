import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { readConfig } from "../config.js";
import { csvLine } from "../formats/csv/write-csv.js";
import { cancelImport } from "../jobs/cancel-import.js";
import { createImport, type ImportRequest } from "../jobs/create-import.js";
import { failedRowsCsv, failedRowsNdjson } from "../jobs/failed-rows-file.js";
import { describeImportJob, type ImportJobView } from "../jobs/import-progress.js";
import { type ImportPreview, previewImport } from "../jobs/preview-import.js";
import { runImport } from "../jobs/run-import.js";
import { firstKeptSourceColumns, readFailedRows } from "../store/imports/failed-rows.js";
import { getImportJob, type ImportJob } from "../store/imports/import-jobs.js";
import { readRowOutcomes } from "../store/imports/import-results.js";
import { CliError } from "./cli-error.js";
import type { ImportSource, ResultFiles } from "./import-command.js";
import { type Interruption, interruptedLine } from "./interruption.js";
import { describeEngine, openEngine } from "./open-engine.js";
import { tenantIdOf } from "./operator-commands.js";
import type { ProgressPrinter } from "./progress-printer.js";
import { writeResultFile } from "./result-file.js";

/**
 * `tributary import FILE --tenant NAME`: runs the import job in this process, on the local engine, and writes
 * the errors and failed-rows files from the job's results. Interrupted (Ctrl-C, SIGTERM), it cancels the job
 * as `DELETE /api/v1/imports/{id}` does and closes the engine (on PGlite, releasing the data folder) before it
 * says where the job stopped: a job left `running` would be resumed by the next server on this data, from
 * its old file, over whatever was imported since.
 */
export async function importLocally(
  source: ImportSource,
  progress: ProgressPrinter,
  files: ResultFiles,
  interruption: Interruption,
): Promise<ImportJobView> {
  const { file, format } = source;
  const config = readConfig();
  const store = await openEngine(config);
  try {
    const tenantId = await tenantIdOf(store, source.options.tenant as string);
    const input = createReadStream(file);
    // Stopped while the file is being stored, the job is not queued yet: createImport deletes it. Stopped
    // before createImport reads the stream, its error has no reader yet: it reaches createImport when it reads.
    input.on("error", () => {});
    const stopStoring = interruption.onInterrupt(() => input.destroy(new Error("interrupted")));
    let job: ImportJob;
    try {
      job = await createImport(store, importRequestOf(source, tenantId), input, Number.MAX_SAFE_INTEGER);
    } catch (error) {
      if (!interruption.interrupted) throw error;
      throw new CliError(
        "import interrupted while the file was being stored; nothing of it is in",
        interruption.exitCode,
      );
    } finally {
      stopStoring();
    }
    process.stderr.write(`import ${job.id} ${job.state} on ${describeEngine(config)}\n`);
    const jobId = job.id;
    let cancelling: Promise<unknown> | undefined;
    const stopListening = interruption.onInterrupt(() => {
      cancelling = (async () => {
        const now = await getImportJob(store.db, tenantId, jobId);
        if (now) await cancelImport(store, now);
      })();
      interruption.mustFinish(cancelling);
    });
    let last = describeImportJob(job);
    try {
      await runImport(store, tenantId, job.id, {
        // The run stops before its next chunk; the cancel ends the job, as the API's DELETE does.
        shouldStop: () => interruption.interrupted,
        onChunk: (updated) => {
          last = describeImportJob(updated);
          progress.show(last);
        },
      });
    } finally {
      stopListening();
      await cancelling?.catch(() => {});
    }
    if (interruption.interrupted) {
      await cancelling;
      const ended = await getImportJob(store.db, tenantId, jobId);
      throw new CliError(interruptedLine(describeImportJob(ended ?? job)), interruption.exitCode);
    }
    if (last.failed > 0) {
      const unwrittenErrors = await writeResultFile(
        "--errors",
        files.errors as string,
        errorLines(readRowOutcomes(store.db, tenantId, job.id, true)),
      );
      const rows = readFailedRows(store.db, tenantId, job.id);
      const unwrittenRows = await writeResultFile(
        "--failed-rows",
        files.failedRows as string,
        Readable.from(
          format === "csv"
            ? failedRowsCsv(
                rows,
                await firstKeptSourceColumns(store.db, tenantId, job.id, Object.keys(last.columnMapping)),
              )
            : failedRowsNdjson(rows),
        ),
      );
      if (unwrittenErrors) files.errors = null;
      if (unwrittenRows) files.failedRows = null;
      for (const unwritten of [unwrittenErrors, unwrittenRows])
        if (unwritten) files.unwritten.push(unwritten);
    }
    return last;
  } finally {
    await store.close();
  }
}

async function* errorLines(outcomes: ReturnType<typeof readRowOutcomes>): AsyncIterable<string> {
  yield csvLine(["row", "status", "contactId", "errorCode", "field", "message"]);
  for await (const o of outcomes)
    yield csvLine([o.row, o.status, o.contactId, o.errorCode, o.field, o.message]);
}

/** `tributary import FILE --preview --tenant NAME`: the preview of the file's first rows, on the local engine. */
export async function previewLocally(source: ImportSource): Promise<ImportPreview> {
  const store = await openEngine(readConfig());
  const input = createReadStream(source.file);
  try {
    const tenantId = await tenantIdOf(store, source.options.tenant as string);
    return await previewImport(store, importRequestOf(source, tenantId), input);
  } finally {
    input.destroy();
    await store.close();
  }
}

/** The job's request for the CLI's file and options, in a tenant of the local engine. */
function importRequestOf({ file, format, mapping, options }: ImportSource, tenantId: number): ImportRequest {
  return {
    tenantId,
    actor: "cli",
    format,
    shape: options.shape,
    idProperty: options.idProperty,
    mapping: mapping ?? null,
    dryRun: options.dryRun ?? false,
    fileName: basename(file),
    encoding: options.encoding,
    dateFormat: options.dateFormat,
  };
}
