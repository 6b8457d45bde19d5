import { neutralizeFormula } from "./formula-cells.js";

export interface CsvCellOptions {
  /**
   * Prefix `'` to text cells a spreadsheet would run as a formula (first character `=` `+` `-` `@` tab or
   * CR, per OWASP's CSV-injection advice). Numbers are never touched, so -12.5 stays a number. Default true.
   */
  neutralizeFormulas?: boolean;
}

const NEEDS_QUOTES = /[",\r\n]|^[ \t]|[ \t]$/;

/** One cell, quoted per RFC 4180 when needed. null and undefined are empty; objects are written as JSON. */
export function csvCell(value: unknown, options: CsvCellOptions = {}): string {
  let text: string;
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean")
    return String(value);
  if (typeof value === "string") text = value;
  else if (value instanceof Date) text = value.toISOString();
  else text = JSON.stringify(value);
  if (options.neutralizeFormulas !== false) text = neutralizeFormula(text);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, comma-separated and ended with CRLF as RFC 4180 asks. */
export function csvLine(values: readonly unknown[], options: CsvCellOptions = {}): string {
  let line = "";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ",";
    line += csvCell(values[i], options);
  }
  return `${line}\r\n`;
}

export interface CsvWriteOptions extends CsvCellOptions {
  /** Start with a UTF-8 byte-order mark so Excel opens the file as UTF-8. Default false. */
  bom?: boolean;
}

const BATCH_CHARS = 64 * 1024;

/**
 * The CSV text for `records` under a header of `columns`, as strings of about 64 KiB each so that a
 * consumer writes in few calls; fields missing from a record are empty cells.
 */
export async function* writeCsv(
  columns: readonly string[],
  records: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>,
  options: CsvWriteOptions = {},
): AsyncGenerator<string> {
  let batch = (options.bom ? "\ufeff" : "") + csvLine(columns, options);
  const cells: unknown[] = new Array(columns.length);
  for await (const record of records) {
    for (let i = 0; i < columns.length; i++) cells[i] = record[columns[i]];
    batch += csvLine(cells, options);
    if (batch.length >= BATCH_CHARS) {
      yield batch;
      batch = "";
    }
  }
  if (batch.length > 0) yield batch;
}
