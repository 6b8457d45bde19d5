import { closeSync, createWriteStream, lstatSync, openSync, readSync, unlinkSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ImportFormat } from "../store/imports/import-jobs.js";

/**
 * Writes one of an import's result files. A write that fails once the job has ended (a disk that fills up)
 * answers its reason as one line, for the summary to say which file is missing and why, instead of an
 * unhandled stream error.
 */
export async function writeResultFile(
  option: string,
  path: string,
  content: Readable | AsyncIterable<string>,
): Promise<string | null> {
  try {
    await pipeline(content, createWriteStream(path));
    return null;
  } catch (error) {
    return `${option}: cannot write ${path}: ${(error as Error).message}`;
  }
}

/**
 * Where an import's result files go unless `--errors` and `--failed-rows` say: beside FILE
 * (`people.csv.errors.csv`). A FILE under /dev or /proc names a stream, not a file in a folder
 * (`/dev/stdin` redirected from a file, `/dev/fd/63` of a shell's `<(…)`): its results go to the current
 * folder, named after it (`stdin.errors.csv`), not into /dev, where root could write them.
 */
export function defaultResultPaths(
  file: string,
  format: ImportFormat,
): { errors: string; failedRows: string } {
  const base = /^\/(dev|proc)\//.test(resolve(file)) ? basename(file) : file;
  return {
    errors: `${base}.errors.csv`,
    failedRows: `${base}.failed-rows.${format === "csv" ? "csv" : "ndjson"}`,
  };
}

/** How each result file the CLI writes begins: a file that begins otherwise is not one of them. */
export const resultFileStarts = {
  errors: "row,status,contactId,errorCode,field,message\r\n",
  failedRowsCsv: "tributary_row,tributary_error_code,",
  failedRowsNdjson: '{"tributary_row":',
} as const;

/**
 * Removes a result file an earlier run left at `path`, for a run that has none to write there: a user who
 * finds `people.csv.errors.csv` beside `people.csv` reads it as the last run's errors. Only a regular file
 * that begins as the CLI writes that file (`start`) goes, so a symlink, a device (`/dev/null`) or a file of
 * the user's own at that path stays. Answers whether it removed one.
 */
export function removeEarlierResultFile(path: string, start: string): boolean {
  try {
    if (!lstatSync(path).isFile()) return false;
    const head = Buffer.alloc(start.length);
    const fd = openSync(path, "r");
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    if (head.toString("utf8") !== start) return false;
    unlinkSync(path);
    return true;
  } catch {
    // Absent, unreadable, or not ours to remove: the summary says nothing of it.
    return false;
  }
}
