import { assertNotUtf16, FileEncodingError } from "../encoding.js";
import {
  type ByteSource,
  extraCellsKey,
  FileRejectedError,
  FORBIDDEN_KEYS,
  type RecordOutcome,
  toBuffers,
} from "../records.js";
import { type CsvRecord, type CsvStop, CsvTokenizer } from "./csv-tokenizer.js";
import { restoreFormula } from "./formula-cells.js";

export interface CsvReadOptions {
  /** A single character, or "auto" to pick `,` `;` tab or `|` from the header line. Default ",". */
  delimiter?: string;
  /**
   * Longest record in bytes. Beyond it the record fails with CSV_RECORD_TOO_LARGE and reading ends: that is
   * almost always an unclosed quote swallowing the rest of the file, and the cap keeps memory flat.
   */
  maxRecordBytes?: number;
  /**
   * Drop the `'` that a writer put before a formula's first character (`'+61 2…`, `'=SUM(…)`; see
   * formula-cells.ts), so a file written with neutralised cells reads back as it was. Default false.
   */
  restoreFormulas?: boolean;
}

const DEFAULT_MAX_RECORD_BYTES = 1 << 20;
// A chunk is decoded and tokenized this much at a time: a 1 MiB upload piece at once held the thread for
// 10-15 ms, and its cells (slices of the decoded text) kept the whole text alive while any row of it waited
// for the database. An import measured with it: src/jobs/run-import.ts, yieldEveryRows.
const TOKENIZE_BYTES = 64 * 1024;
const APOSTROPHE = 0x27;
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
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const restoreFormulas = options.restoreFormulas ?? false;
  const tokenizer = new CsvTokenizer({ delimiter, maxRecordBytes });

  let header: string[] | null = null;
  let fieldsOf: FieldsMaker = () => ({});
  let row = 0;
  const outcomeOf = (record: CsvRecord): RecordOutcome | null => {
    const { cells, line, invalidByte } = record;
    if (header === null) {
      if (invalidByte >= 0) {
        throw new FileEncodingError(
          "ENCODING_INVALID_UTF8",
          `the header is not UTF-8 (byte ${invalidByte}); save the file as UTF-8 or name its encoding (encoding=windows-1252)`,
          line,
          invalidByte,
        );
      }
      header = checkHeader(cells, line);
      fieldsOf = fieldsMaker(header);
      return null;
    }
    row++;
    if (invalidByte >= 0) {
      return {
        kind: "error",
        row,
        line,
        code: "ENCODING_INVALID_UTF8",
        message: `byte ${invalidByte} is not UTF-8 (a Latin-1 or Windows-1252 file?); save the file as UTF-8 or name its encoding (encoding=windows-1252)`,
      };
    }
    if (restoreFormulas)
      for (let i = 0; i < cells.length; i++)
        if (cells[i].charCodeAt(0) === APOSTROPHE) cells[i] = restoreFormula(cells[i]);
    if (cells.length !== header.length) {
      return {
        kind: "error",
        row,
        line,
        code: "CSV_RAGGED_ROW",
        message: `expected ${header.length} cells as in the header, got ${cells.length}`,
        source: raggedSource(header, cells),
      };
    }
    return { kind: "record", row, line, fields: fieldsOf(cells), cells, header };
  };

  const records: CsvRecord[] = [];
  let start = Buffer.alloc(0);
  for await (const chunk of source) {
    if (start.length < 2) {
      start = Buffer.concat([start, chunk.subarray(0, 2)]).subarray(0, 2);
      assertNotUtf16(start);
    }
    for (let at = 0; at < chunk.length && tokenizer.stopped === null; at += TOKENIZE_BYTES) {
      tokenizer.push(chunk.subarray(at, at + TOKENIZE_BYTES), records);
      for (const record of records) {
        const outcome = outcomeOf(record);
        if (outcome !== null) yield outcome;
      }
      records.length = 0;
    }
    if (tokenizer.stopped !== null) break;
  }
  tokenizer.end(records);
  for (const record of records) {
    const outcome = outcomeOf(record);
    if (outcome !== null) yield outcome;
  }
  const stop = tokenizer.stopped;
  if (stop !== null) {
    const message = describeStop(stop, maxRecordBytes);
    if (header === null) throw new FileRejectedError("CSV_NO_HEADER", `the header ${message}`, stop.line);
    const code = stop.reason === "unclosed-quote" ? "CSV_UNCLOSED_QUOTE" : "CSV_RECORD_TOO_LARGE";
    yield { kind: "error", row: row + 1, line: stop.line, code, message: `the row ${message}` };
    return;
  }
  if (header === null) throw new FileRejectedError("CSV_NO_HEADER", "the file is empty: no header row");
}

type FieldsMaker = (cells: readonly string[]) => Record<string, unknown>;

const MAX_COMPILED_COLUMNS = 1000;

/**
 * Makes a row's `fields` from its cells, keyed by the header's names. A loop storing 45 different keys at
 * one site goes megamorphic and adds each property with a map transition, which cost more than tokenizing
 * the row; so for each header this compiles code that clones a template object holding every name and then
 * stores each cell at its own site. The code holds only column indexes: the names are passed in as data.
 * Where code generation is disabled (--disallow-code-generation-from-strings), or for very wide files, it
 * falls back to the loop.
 */
/** A ragged row's cells by column, the missing ones empty and the extra ones kept in order. */
function raggedSource(header: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const source: Record<string, unknown> = {};
  for (const [i, name] of header.entries()) source[name] = cells[i] ?? "";
  if (cells.length > header.length) source[extraCellsKey] = cells.slice(header.length);
  return source;
}

function fieldsMaker(header: readonly string[]): FieldsMaker {
  // Stores hit the compiled sites only with internalized key strings; a property key read back is one.
  const names = header.map((name) => Object.keys({ [name]: 0 })[0]);
  if (names.length <= MAX_COMPILED_COLUMNS) {
    const indexes = names.map((_, i) => i);
    const code = [
      '"use strict";',
      `const template = { ${indexes.map((i) => `[k[${i}]]: ""`).join(", ")} };`,
      "return (c) => {",
      "  const f = { ...template };",
      ...indexes.map((i) => `  f[k[${i}]] = c[${i}];`),
      "  return f;",
      "};",
    ].join("\n");
    try {
      return new Function("k", code)(names) as FieldsMaker;
    } catch {
      // Code generation from strings is disabled.
    }
  }
  return (cells) => {
    const fields: Record<string, unknown> = {};
    for (let i = 0; i < cells.length; i++) fields[names[i]] = cells[i];
    return fields;
  };
}

function describeStop(stop: CsvStop, maxRecordBytes: number): string {
  if (stop.reason === "unclosed-quote") return "opens a quote that is never closed; no later row was read";
  // The part in parentheses is csv-parse's message, kept word for word from before it was replaced.
  return (
    "is over the size limit (an unclosed quote?); no later row was read (Max Record Size: record exceed " +
    `the maximum number of tolerated bytes of ${maxRecordBytes} at line ${stop.limitLine})`
  );
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
