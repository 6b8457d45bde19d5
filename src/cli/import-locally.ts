import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { readConfig } from "../config.js";
import { csvLine } from "../formats/csv/write-csv.js";
import { createImport, type ImportRequest } from "../jobs/create-import.js";
import { failedRowsCsv, failedRowsNdjson } from "../jobs/failed-rows-file.js";
import { describeImportJob, type ImportJobView } from "../jobs/import-progress.js";
import { type ImportPreview, previewImport } from "../jobs/preview-import.js";
import { runImport } from "../jobs/run-import.js";
import { firstKeptSourceColumns, readFailedRows } from "../store/imports/failed-rows.js";
import { readRowOutcomes } from "../store/imports/import-results.js";
import type { ImportSource, ProgressPrinter, ResultFiles } from "./import-command.js";
import { openEngine } from "./open-engine.js";
import { tenantIdOf } from "./operator-commands.js";
import { writeResultFile } from "./result-file.js";

/**
 * `tributary import FILE --tenant NAME`: runs the import job in this process, on the local engine, and writes
 * the errors and failed-rows files from the job's results.
 */
export async function importLocally(
  source: ImportSource,
  progress: ProgressPrinter,
  files: ResultFiles,
): Promise<ImportJobView> {
  const { file, format } = source;
  const store = await openEngine(readConfig());
  try {
    const tenantId = await tenantIdOf(store, source.options.tenant as string);
    const job = await createImport(
      store,
      importRequestOf(source, tenantId),
      createReadStream(file),
      Number.MAX_SAFE_INTEGER,
    );
    let last = describeImportJob(job);
    await runImport(store, tenantId, job.id, {
      onChunk: (updated) => {
        last = describeImportJob(updated);
        progress.show(last);
      },
    });
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
