import { csvLine } from "../formats/csv/write-csv.js";
import { ndjsonLine } from "../formats/ndjson/write-ndjson.js";
import type { FailedRow } from "../store/imports/failed-rows.js";

// Named so that no column of an imported file maps to them: the file imports back as it is.
export const failedRowColumns = [
  "tributary_row",
  "tributary_error_code",
  "tributary_error_field",
  "tributary_error_message",
];

/**
 * The failed-rows CSV: the four columns above, then the file's own `columns` (a CSV's rows share its
 * header: `firstKeptSource` gives them), one line per failed row with its errors joined by "; ".
 */
export async function* failedRowsCsv(
  rows: AsyncIterable<FailedRow>,
  columns: readonly string[],
): AsyncGenerator<string> {
  let text = csvLine([...failedRowColumns, ...columns]);
  for await (const r of rows) {
    const source = r.source === null ? null : (JSON.parse(r.source) as Record<string, unknown>);
    text += csvLine([
      r.row,
      r.errors.map((e) => e.code).join("; "),
      r.errors.map((e) => e.field ?? "").join("; "),
      r.errors.map((e) => e.message).join("; "),
      ...columns.map((c) => source?.[c]),
    ]);
    if (text.length >= 64 * 1024) {
      yield text;
      text = "";
    }
  }
  if (text.length > 0) yield text;
}

/** The failed-rows file of an NDJSON or JSON upload: `{row, errors, source}` per line, ~64 KiB a piece. */
export async function* failedRowsNdjson(rows: AsyncIterable<FailedRow>): AsyncGenerator<string> {
  let text = "";
  for await (const r of rows) {
    text += ndjsonLine({
      row: r.row,
      errors: r.errors,
      source: r.source === null ? null : JSON.parse(r.source),
    });
    if (text.length >= 64 * 1024) {
      yield text;
      text = "";
    }
  }
  if (text.length > 0) yield text;
}
