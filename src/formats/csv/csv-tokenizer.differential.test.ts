import { type CsvError, type Info, parse } from "csv-parse";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { legacyCsvParseOptions, Utf8Validator } from "../../../test/helpers/csv-parse-oracle.js";
import { type CsvRecord, type CsvStop, CsvTokenizer } from "./csv-tokenizer.js";

// The oracle is csv-parse 7 with the options readCsvRecords used before CsvTokenizer replaced it, and
// Utf8Validator for the offsets of bytes that are not UTF-8, exactly as that reader combined them.
interface Result {
  records: CsvRecord[];
  stop: CsvStop | null;
}

async function csvParse(chunks: Buffer[], delimiter: string, maxRecordBytes: number): Promise<Result> {
  const validator = new Utf8Validator();
  let fatal = null as { records: number; emptyLines: number; error: CsvError } | null;
  const parser = parse({
    ...legacyCsvParseOptions(delimiter, maxRecordBytes),
    on_skip: (error) => {
      if (fatal === null && error) {
        fatal = { records: Number(error.records), emptyLines: Number(error.empty_lines), error };
      }
    },
  });
  for (const chunk of chunks) {
    validator.push(chunk);
    parser.write(chunk);
  }
  validator.end();
  parser.end();
  const result: Result = { records: [], stop: null };
  // csv-parse counts lines itself; without CR in the input its count is the physical one.
  let prevLines = 0;
  let prevEmpty = 0;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
    if (fatal !== null && fatal.records === result.records.length) break;
    const line = prevLines + 1 + (info.empty_lines - prevEmpty);
    prevLines = info.lines;
    prevEmpty = info.empty_lines;
    result.records.push({ cells: record, line, invalidByte: validator.takeInvalidBefore(info.bytes) });
  }
  if (fatal !== null) {
    const { error, emptyLines } = fatal;
    const line = prevLines + 1 + (emptyLines - prevEmpty);
    result.stop =
      error.code === "CSV_QUOTE_NOT_CLOSED"
        ? { reason: "unclosed-quote", line }
        : { reason: "too-large", line, limitLine: Number(/at line (\d+)/.exec(error.message)?.[1]) };
  }
  return result;
}

function tokenize(chunks: Buffer[], delimiter: string, maxRecordBytes: number): Result {
  const tokenizer = new CsvTokenizer({ delimiter, maxRecordBytes });
  const records: CsvRecord[] = [];
  for (const chunk of chunks) tokenizer.push(chunk, records);
  tokenizer.end(records);
  return { records, stop: tokenizer.stopped };
}

/** The bytes cut at the given positions (taken modulo the length, in any order). */
function cut(data: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (data.length + 1)))].sort((a, b) => a - b);
  return [...points, data.length].map((end, i) => data.subarray(i === 0 ? 0 : points[i - 1], end));
}

const delimiter = fc.constantFrom(",", ";", "\t", "|");
const cutPoints = fc.array(fc.nat(), { maxLength: 6 });

// Well-formed CSV: cells that need it are quoted (others sometimes), LF or CRLF after each record, blank
// lines between some, maybe no line end after the last, maybe a BOM.
const cellText = fc.string({
  unit: fc.constantFrom("a", "b", " ", ",", ";", "\t", "|", '"', "\r", "\n", "é", "€", "😀"),
  maxLength: 8,
});
const csvFile = fc.record({
  delimiter,
  records: fc.array(
    fc.record({
      cells: fc.array(fc.tuple(cellText, fc.boolean()), { minLength: 1, maxLength: 5 }),
      end: fc.constantFrom("\n", "\r\n"),
      blankLines: fc.constantFrom("", "", "\n", "\r\n\n"),
    }),
    { maxLength: 8 },
  ),
  lastLineEnd: fc.boolean(),
  bom: fc.boolean(),
});

type CsvFile = typeof csvFile extends fc.Arbitrary<infer T> ? T : never;

/** The file's bytes, and the cells and start line of each record. */
function write(file: CsvFile): { data: Buffer; expected: { cells: string[]; line: number }[] } {
  let text = "";
  const expected: { cells: string[]; line: number }[] = [];
  let line = 1;
  file.records.forEach((record, n) => {
    const cells = record.cells.map(([cell]) => cell);
    const quoted = record.cells.map(([cell, quote]) => {
      const must =
        /["\r\n]/.test(cell) || cell.includes(file.delimiter) || (cell === "" && cells.length === 1);
      return must || quote ? `"${cell.replaceAll('"', '""')}"` : cell;
    });
    expected.push({ cells, line });
    const end = n < file.records.length - 1 || file.lastLineEnd ? record.end : "";
    const written = quoted.join(file.delimiter) + end + record.blankLines;
    text += written;
    line += written.split("\n").length - 1;
  });
  return { data: Buffer.from((file.bom ? "\ufeff" : "") + text), expected };
}

// Anything CSV-like: stray and unclosed quotes, lone CRs, bytes that are not UTF-8 (alone, or a
// sequence cut short), small size limits. Lines are compared only without CR, which csv-parse counts
// as a line end on its own and twice inside quotes.
const piece = fc.constantFrom(
  ...["a", "b", ",", ";", '"', '""', "\n", "\r\n", "\r", " ", "é", "😀", '"q"', "x,y"].map((s) =>
    Buffer.from(s),
  ),
  Buffer.from([0xe9]),
  Buffer.from([0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xf0, 0x9f]),
);
const anything = fc.record({
  delimiter: fc.constantFrom(",", ";"),
  bom: fc.boolean(),
  pieces: fc.array(piece, { maxLength: 30 }),
  maxRecordBytes: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.constant(1 << 20)),
});

describe("CsvTokenizer against csv-parse", () => {
  it("reads the same cells as csv-parse, on the lines they start, in any chunks", async () => {
    await fc.assert(
      fc.asyncProperty(csvFile, cutPoints, async (file, at) => {
        const { data, expected } = write(file);
        const chunks = cut(data, at);
        const ours = tokenize(chunks, file.delimiter, 1 << 20);
        const theirs = await csvParse(chunks, file.delimiter, 1 << 20);
        expect(ours.records.map((r) => r.cells)).toEqual(theirs.records.map((r) => r.cells));
        expect(ours.records.map(({ cells, line }) => ({ cells, line }))).toEqual(expected);
        expect(ours.records.every((r) => r.invalidByte === -1)).toBe(true);
        expect(ours.stop).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it("reads the same records, bad-byte offsets and stop as csv-parse did for anything", async () => {
    await fc.assert(
      fc.asyncProperty(anything, cutPoints, async (input, at) => {
        const data = Buffer.concat([Buffer.from(input.bom ? "\ufeff" : ""), ...input.pieces]);
        const chunks = cut(data, at);
        const ours = tokenize(chunks, input.delimiter, input.maxRecordBytes);
        const theirs = await csvParse(chunks, input.delimiter, input.maxRecordBytes);
        // Cells of a record with bad bytes differ (U+FFFD there, escapes here) and are never shown.
        const lines = !data.includes(13);
        const view = ({ cells, line, invalidByte }: CsvRecord) => ({
          ...(invalidByte >= 0 ? { invalidByte } : { cells }),
          ...(lines ? { line } : {}),
        });
        const stopView = (stop: CsvStop | null) => (stop === null || lines ? stop : { reason: stop.reason });
        expect(ours.records.map(view)).toEqual(theirs.records.map(view));
        expect(stopView(ours.stop)).toEqual(stopView(theirs.stop));
      }),
      { numRuns: 3000 },
    );
  });
});
