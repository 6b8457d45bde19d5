import { pipeline, Readable } from "node:stream";
import { type CsvError, type Info, parse } from "csv-parse";
import { FileEncodingError, Utf8Validator } from "../encoding.js";
import {
  type ByteSource,
  FileRejectedError,
  FORBIDDEN_KEYS,
  type RecordOutcome,
  toBuffers,
} from "../records.js";

export interface CsvReadOptions {
  /** A single character, or "auto" to pick `,` `;` tab or `|` from the header line. Default ",". */
  delimiter?: string;
  /**
   * Longest record in bytes. Beyond it the record fails with CSV_RECORD_TOO_LARGE and reading ends: that is
   * almost always an unclosed quote swallowing the rest of the file, and the cap keeps memory flat.
   */
  maxRecordBytes?: number;
}

const DEFAULT_MAX_RECORD_BYTES = 1 << 20;
const CANDIDATE_DELIMITERS = [",", ";", "\t", "|"];

/**
 * Reads CSV with a header row into one outcome per data row (row 1 = the first row after the header).
 * Cells stay strings. A row with more or fewer cells than the header, or with bytes that are not UTF-8,
 * is an error outcome and reading goes on; an unclosed quote is an error outcome for the row where it
 * opened and ends reading. Throws FileRejectedError for an empty file or a bad header.
 */
export async function* readCsvRecords(
  input: ByteSource,
  options: CsvReadOptions = {},
): AsyncGenerator<RecordOutcome> {
  let source: AsyncIterable<Buffer> = toBuffers(input);
  let delimiter = options.delimiter ?? ",";
  if (delimiter === "auto") {
    const peeked = await peekFirstLine(source);
    delimiter = detectDelimiter(peeked.text);
    source = peeked.source;
  }
  const validator = new Utf8Validator();
  // csv-parse reports these through on_skip, in step with parsing; records parsed before it may still
  // wait in the stream, so the error is yielded once exactly `records` records (header included) are out.
  let fatal = null as { records: number; emptyLines: number; error: CsvError } | null;
  const parser = parse({
    delimiter,
    bom: true,
    cast: false,
    columns: false,
    info: true,
    // A quote inside an unquoted cell, or text after a closing quote, is kept literally as spreadsheets
    // do; csv-parse's strict mode would otherwise consume the rest of the file as one quoted cell.
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    // Both, so that a file mixing LF and CRLF does not leave a stray CR at the end of last cells.
    record_delimiter: ["\r\n", "\n"],
    max_record_size: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    skip_records_with_error: true,
    on_skip: (error) => {
      if (fatal === null && error) {
        fatal = { records: Number(error.records), emptyLines: Number(error.empty_lines), error };
      }
    },
  });
  pipeline(Readable.from(validated(source, validator)), parser, () => {
    // Errors reach the loop below through the parser, which pipeline destroys with them.
  });

  let header: string[] | null = null;
  let row = 0;
  // csv-parse counts lines; we keep its count of the previous record's last line and blank lines to find
  // where the next record starts, and `drift` for the CRLFs inside quoted cells that it counts twice.
  let prevLines = 0;
  let prevEmpty = 0;
  let drift = 0;
  const fatalOutcome = (f: { emptyLines: number; error: CsvError }): RecordOutcome => {
    const line = prevLines + 1 + (f.emptyLines - prevEmpty) - drift;
    const { code, message } = describeFatal(f.error);
    if (header === null) throw new FileRejectedError("CSV_NO_HEADER", `the header ${message}`, line);
    return { kind: "error", row: row + 1, line, code, message: `the row ${message}` };
  };
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
    if (fatal !== null && fatal.records === row + (header ? 1 : 0)) break;
    const start = prevLines + 1 + (info.empty_lines - prevEmpty);
    const line = start - drift;
    if (info.lines > start) drift += countCrLf(record);
    prevLines = info.lines;
    prevEmpty = info.empty_lines;
    const badByte = validator.takeInvalidBefore(info.bytes);
    if (header === null) {
      if (badByte >= 0) {
        throw new FileEncodingError(
          "ENCODING_INVALID_UTF8",
          `the header is not UTF-8 (byte ${badByte}); save the file as UTF-8`,
          line,
          badByte,
        );
      }
      header = checkHeader(record, line);
      continue;
    }
    row++;
    if (badByte >= 0) {
      yield {
        kind: "error",
        row,
        line,
        code: "ENCODING_INVALID_UTF8",
        message: `byte ${badByte} is not UTF-8 (a Latin-1 or Windows-1252 file?); save the file as UTF-8`,
      };
    } else if (record.length !== header.length) {
      yield {
        kind: "error",
        row,
        line,
        code: "CSV_RAGGED_ROW",
        message: `expected ${header.length} cells as in the header, got ${record.length}`,
      };
    } else {
      const fields: Record<string, unknown> = {};
      for (let i = 0; i < record.length; i++) fields[header[i]] = record[i];
      yield { kind: "record", row, line, fields };
    }
  }
  if (fatal !== null) {
    yield fatalOutcome(fatal);
    return;
  }
  if (header === null) throw new FileRejectedError("CSV_NO_HEADER", "the file is empty: no header row");
}

function describeFatal(err: CsvError): {
  code: "CSV_UNCLOSED_QUOTE" | "CSV_RECORD_TOO_LARGE";
  message: string;
} {
  if (err.code === "CSV_QUOTE_NOT_CLOSED") {
    return {
      code: "CSV_UNCLOSED_QUOTE",
      message: "opens a quote that is never closed; no later row was read",
    };
  }
  return {
    code: "CSV_RECORD_TOO_LARGE",
    message: `is over the size limit (an unclosed quote?); no later row was read (${err.message})`,
  };
}

function checkHeader(record: string[], line: number): string[] {
  const names = record.map((name) => name.trim());
  const seen = new Set<string>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (name === "") {
      throw new FileRejectedError("CSV_HEADER_EMPTY", `header column ${i + 1} has no name`, line);
    }
    if (FORBIDDEN_KEYS.has(name)) {
      throw new FileRejectedError(
        "CSV_HEADER_FORBIDDEN",
        `header column ${i + 1} "${name}" is not allowed`,
        line,
      );
    }
    if (seen.has(name)) {
      throw new FileRejectedError("CSV_HEADER_DUPLICATE", `header column ${i + 1} "${name}" repeats`, line);
    }
    seen.add(name);
  }
  return names;
}

function countCrLf(record: string[]): number {
  let n = 0;
  for (const cell of record) {
    for (let i = cell.indexOf("\r\n"); i !== -1; i = cell.indexOf("\r\n", i + 2)) n++;
  }
  return n;
}

async function* validated(source: AsyncIterable<Buffer>, validator: Utf8Validator): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    validator.push(chunk);
    yield chunk;
  }
  validator.end();
}

/**
 * The delimiter among `,` `;` tab `|` that occurs most often outside quotes in the header line; `,` when
 * none does. Only the first line is looked at.
 */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>();
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) break;
    else if (!quoted && CANDIDATE_DELIMITERS.includes(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ",";
  let bestCount = 0;
  for (const candidate of CANDIDATE_DELIMITERS) {
    const count = counts.get(candidate) ?? 0;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

const PEEK_LIMIT = 64 * 1024;

/** Reads up to the first newline (or 64 KiB), returning its text and a source that replays those bytes. */
async function peekFirstLine(
  source: AsyncIterable<Buffer>,
): Promise<{ text: string; source: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  while (size < PEEK_LIMIT) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    size += next.value.length;
    if (next.value.includes(0x0a)) break;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { text: Buffer.concat(head).toString("utf8"), source: replay() };
}
