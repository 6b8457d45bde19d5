import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import type { ImportJobView } from "../jobs/import-progress.js";
import type { ImportPreview } from "../jobs/preview-import.js";
import { formatOf } from "../jobs/read-upload-records.js";
import type { ImportFormat } from "../store/imports/import-jobs.js";
import { CliError } from "./cli-error.js";
import { whyUnreadable, whyUnwritable } from "./file-checks.js";
import { Interruption, interruptedLine } from "./interruption.js";
import { postFile } from "./post-file.js";
import { previewText } from "./preview-text.js";
import { type ProgressPrinter, progressPrinter } from "./progress-printer.js";
import {
  defaultResultPaths,
  removeEarlierResultFile,
  resultFileStarts,
  writeResultFile,
} from "./result-file.js";
import { jsonAnswer, notTributaryApi } from "./server-answer.js";

export interface ImportCliOptions {
  shape?: string;
  mapping?: string;
  idProperty?: string;
  dryRun?: boolean;
  preview?: boolean;
  format?: ImportFormat;
  encoding?: string;
  dateFormat?: string;
  server?: string;
  token?: string;
  tenant?: string;
  errors?: string;
  failedRows?: string;
}

/** What an import or a preview reads: the file, its format, the mapping file's content, the options. */
export interface ImportSource {
  file: string;
  format: ImportFormat;
  mapping: Record<string, string> | undefined;
  options: ImportCliOptions;
}

/** Where a run's two files go: the errors (one line per error) and the failed rows as the file had them. */
export interface ResultFiles {
  /** null once it could not be written */
  errors: string | null;
  /** null once a server answered no failed-rows file (one older than the endpoint), or it could not be written */
  failedRows: string | null;
  /** why a file could not be written, one line each: the job has ended, so the command still sums it up */
  unwritten: string[];
}

const importFormats: readonly string[] = ["csv", "ndjson", "json"];

const contentTypes: Record<ImportFormat, string> = {
  csv: "text/csv",
  ndjson: "application/x-ndjson",
  json: "application/json",
};

function summary(job: ImportJobView, files: ResultFiles | null, removed: string[]): string {
  const lines = [
    `import ${job.id} ${job.state}${job.dryRun ? " (dry run: nothing written)" : ""}`,
    `rows ${job.rowsRead}, created ${job.created}, updated ${job.updated}, unchanged ${job.unchanged}, failed ${job.failed}`,
  ];
  if (job.error) lines.push(`error ${job.error.code}: ${job.error.message}`);
  if (job.unmappedColumns?.length)
    lines.push(
      `columns not imported (no field of the ${job.shape} shape): ${job.unmappedColumns.join(", ")}`,
    );
  if (files) {
    if (files.errors) lines.push(`errors file: ${files.errors}`);
    if (files.failedRows) lines.push(`failed rows file (fix and import again): ${files.failedRows}`);
  }
  for (const path of removed) lines.push(`removed an earlier run's result file: ${path}`);
  return `${lines.join("\n")}\n`;
}

/** `tributary import FILE`: against a server (--server, --token) or straight on the local engine. */
export function registerImportCommand(program: Command, fail: (message: string) => never) {
  program
    .command("import <file>")
    .description(
      "import contacts from a CSV, NDJSON or JSON file (gzip allowed), on a server or the local engine",
    )
    .option("--shape <name>", "row shape: native (default), sam, hobsons or servicestack")
    .option(
      "--mapping <file>",
      "JSON file mapping file columns to fields; headers are mapped automatically otherwise",
    )
    .option("--id-property <p>", "what identifies a contact: id, email, pi or an identifier scheme")
    .option("--dry-run", "validate and report every row, write nothing")
    .option(
      "--preview",
      "show the column mapping and what the first 50 rows would do, at once; write nothing",
    )
    .option("--format <format>", "csv, ndjson or json (default: from the file name)")
    .option(
      "--encoding <encoding>",
      "the file's character encoding: windows-1252, latin1, utf-16le, … (default: utf-8)",
    )
    .option(
      "--date-format <order>",
      "the order of the file's dates such as 31/12/1990: DAY_MONTH_YEAR or MONTH_DAY_YEAR (default: YEAR_MONTH_DAY)",
    )
    .option("--server <url>", "a Tributary server to run the import on")
    .option("--token <token>", "API token for --server (contacts:write)")
    .option("--tenant <name>", "tenant, for the local engine")
    .option("--errors <file>", "where to write the errors file (default: FILE.errors.csv)")
    .option(
      "--failed-rows <file>",
      "where to write the failed rows as the file had them (default: FILE.failed-rows.csv, .ndjson for NDJSON and JSON)",
    )
    .action(async (file: string, options: ImportCliOptions) => {
      // Options that contradict each other are refused before anything is read, rather than one of them
      // winning silently.
      if (options.dryRun && options.preview)
        fail(
          "--dry-run and --preview do not go together: --preview shows the first rows, --dry-run checks them all",
        );
      if (options.server && options.tenant)
        fail(
          "--tenant is for the local engine; with --server the token names the tenant: give one or the other",
        );
      if (options.format !== undefined && !importFormats.includes(options.format))
        fail(`--format '${options.format}' is not one of ${importFormats.join(", ")}`);
      const unreadable = whyUnreadable(file);
      if (unreadable) fail(unreadable);
      const format = options.format ?? formatOf(file.replace(/\.gz$/, ""));
      if (!format || !importFormats.includes(format))
        fail(`cannot tell the file's format from its name; pass --format ${importFormats.join("|")}`);
      const mapping = options.mapping ? readMappingFile(options.mapping, fail) : undefined;
      const source: ImportSource = { file, format: format as ImportFormat, mapping, options };
      const defaults = defaultResultPaths(file, format as ImportFormat);
      const files: ResultFiles = {
        errors: options.errors ?? defaults.errors,
        failedRows: options.failedRows ?? defaults.failedRows,
        unwritten: [],
      };
      // What the result files' paths were before a write could fail and null them.
      const paths = { errors: files.errors as string, failedRows: files.failedRows as string };
      if (!options.preview)
        for (const [option, path] of [
          ["--errors", paths.errors],
          ["--failed-rows", paths.failedRows],
        ]) {
          const unwritable = whyUnwritable(path);
          if (unwritable) fail(`${option}: ${unwritable}`);
        }
      if (options.preview) {
        if (options.server && !options.token) fail("--server needs --token");
        if (!options.server && !options.tenant)
          fail("the local engine needs --tenant NAME (or use --server and --token)");
        const preview = options.server
          ? await previewOnServer(source)
          : await (await import("./import-locally.js")).previewLocally(source);
        process.stdout.write(previewText(preview));
        return;
      }
      const progress = progressPrinter();
      const interruption = new Interruption();
      let final: ImportJobView;
      try {
        if (options.server) {
          if (!options.token) fail("--server needs --token");
          final = await importOnServer(source, progress, files, interruption);
        } else {
          if (!options.tenant) fail("the local engine needs --tenant NAME (or use --server and --token)");
          // The engine and the import jobs load only for an import run here (main.ts has the figures).
          const { importLocally } = await import("./import-locally.js");
          final = await importLocally(source, progress, files, interruption);
        }
      } finally {
        // Before the summary, or the one line of an error or an interruption: each starts a line of its own.
        progress.end();
        interruption.dispose();
      }
      // A run with no failed row writes no result file: one an earlier run left at its path would read as
      // this run's, so it goes (only a file that begins as the CLI writes it; docs/imports.md "CLI").
      const removed =
        final.failed > 0
          ? []
          : [
              removeEarlierResultFile(paths.errors, resultFileStarts.errors) ? paths.errors : null,
              removeEarlierResultFile(
                paths.failedRows,
                format === "csv" ? resultFileStarts.failedRowsCsv : resultFileStarts.failedRowsNdjson,
              )
                ? paths.failedRows
                : null,
            ].filter((path) => path !== null);
      process.stdout.write(summary(final, final.failed > 0 ? files : null, removed));
      if (files.unwritten.length > 0) fail(files.unwritten.join("; "));
      if (final.state !== "completed") process.exitCode = 1;
    });
}

/** Writes a server's answer to one of the result files, or notes why it could not be written. */
async function keepResultFile(files: ResultFiles, which: "errors" | "failedRows", answer: Response) {
  const option = which === "errors" ? "--errors" : "--failed-rows";
  const path = files[which] as string;
  const unwritten = answer.ok
    ? await writeResultFile(option, path, Readable.fromWeb(answer.body as never))
    : `${option}: the server answered ${answer.status} for ${path}'s content`;
  if (unwritten) {
    await answer.body?.cancel().catch(() => {});
    files[which] = null;
    files.unwritten.push(unwritten);
  }
}

/** A `--mapping` file: a JSON object of file column → field; anything else is refused with its reason. */
function readMappingFile(path: string, fail: (message: string) => never): Record<string, string> {
  const unreadable = whyUnreadable(path);
  if (unreadable) fail(`--mapping: ${unreadable}`);
  let mapping: unknown;
  try {
    mapping = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    fail(`--mapping: ${path} is not JSON (${(error as Error).message})`);
  }
  if (typeof mapping !== "object" || mapping === null || Array.isArray(mapping))
    fail(`--mapping: ${path} must hold a JSON object of file column → field`);
  for (const [column, field] of Object.entries(mapping as object))
    if (typeof field !== "string") fail(`--mapping: the field for column '${column}' must be a string`);
  return mapping as Record<string, string>;
}

/** How long to wait before asking again: half a second, less when the job is about to start or end. */
function pollDelayMs(job: ImportJobView): number {
  if (job.state === "queued") return 200;
  if (job.etaSeconds !== null && job.etaSeconds <= 1) return 100;
  return 500;
}

/** The query of an upload or a preview: the file's format and name and the import's options. */
function importQuery({ file, format, mapping, options }: ImportSource): URLSearchParams {
  const query = new URLSearchParams({ format, fileName: basename(file) });
  if (options.shape) query.set("shape", options.shape);
  if (options.idProperty) query.set("idProperty", options.idProperty);
  if (options.dryRun) query.set("dryRun", "true");
  if (options.encoding) query.set("encoding", options.encoding);
  if (options.dateFormat) query.set("dateFormat", options.dateFormat);
  if (mapping) query.set("mapping", JSON.stringify(mapping));
  return query;
}

/** A job as the server answered it; a refusal, or an answer that is no job of Tributary's, is a CliError. */
async function jobAnswer(res: Response): Promise<ImportJobView> {
  const body = await jsonAnswer<ImportJobView>(res);
  if (!res.ok) throw refusal("job's progress", { status: res.status, body });
  if (typeof body.id !== "number" || typeof body.state !== "string")
    throw notTributaryApi(res.url, res.status, res.statusText, "JSON");
  return body;
}

/** The server's answer as an error naming its status and message, when it is not the one expected. */
function refusal(what: string, res: { status: number; body: unknown }): CliError {
  const error = (res.body as { error?: { message?: string } }).error;
  return new CliError(`the server refused the ${what} (${res.status}): ${error?.message}`);
}

async function previewOnServer(source: ImportSource): Promise<ImportPreview> {
  const { file, format, options } = source;
  const base = (options.server as string).replace(/\/$/, "");
  const query = importQuery(source);
  // The server answers after the first rows; postFile sends no more of the file once it has.
  const res = await postFile(
    new URL(`${base}/api/v1/imports/preview?${query}`),
    { authorization: `Bearer ${options.token}`, "content-type": contentTypes[format] },
    file,
  );
  if (res.status !== 200) throw refusal("preview", res);
  return res.body as ImportPreview;
}

async function importOnServer(
  source: ImportSource,
  progress: ProgressPrinter,
  files: ResultFiles,
  interruption: Interruption,
): Promise<ImportJobView> {
  const { file, format, options } = source;
  const base = (options.server as string).replace(/\/$/, "");
  const headers = { authorization: `Bearer ${options.token}` };
  const query = importQuery(source);
  let res: Awaited<ReturnType<typeof postFile>>;
  try {
    res = await postFile(
      new URL(`${base}/api/v1/imports?${query}`),
      { ...headers, "content-type": contentTypes[format] },
      file,
      interruption.signal,
    );
  } catch (error) {
    if (!interruption.interrupted) throw error;
    throw new CliError(
      "import interrupted while the file was being sent: the server ends that upload itself (rows it had already written, on PostgreSQL, stay: GET /api/v1/imports lists the job)",
      interruption.exitCode,
    );
  }
  if (res.status !== 202) throw refusal("upload", res);
  const created = res.body as ImportJobView;
  // At once, before the first progress line: a user who stops the CLI, or loses the server, knows the job.
  process.stderr.write(`import ${created.id} ${created.state} on ${base}\n`);
  const jobUrl = `${base}/api/v1/imports/${created.id}`;
  let job = created;
  try {
    for (;;) {
      progress.show(job);
      if (["completed", "failed", "cancelled"].includes(job.state)) break;
      await sleep(pollDelayMs(job), undefined, { signal: interruption.signal });
      job = await jobAnswer(await fetch(jobUrl, { headers, signal: interruption.signal }));
    }
  } catch (error) {
    if (!interruption.interrupted) throw error;
  }
  if (interruption.interrupted) {
    // As the local engine does: the job is cancelled, not left to run on without anyone following it.
    const cancelled = await jobAnswer(await fetch(jobUrl, { method: "DELETE", headers }));
    throw new CliError(interruptedLine(cancelled), interruption.exitCode);
  }
  if (job.failed > 0) {
    const errors = await fetch(`${base}/api/v1/imports/${job.id}/results?only=errors&format=csv`, {
      headers,
    });
    await keepResultFile(files, "errors", errors);
    const failedRows = await fetch(`${base}/api/v1/imports/${job.id}/failed-rows`, { headers });
    if (failedRows.ok && files.failedRows) await keepResultFile(files, "failedRows", failedRows);
    else {
      await failedRows.body?.cancel();
      files.failedRows = null;
    }
  }
  return job;
}
