import { csvLine } from "../formats/csv/write-csv.js";
import { joinedLines } from "../formats/joined-lines.js";
import { ndjsonLine } from "../formats/ndjson/write-ndjson.js";
import { extraCellsKey } from "../formats/records.js";
import type { FailedRow } from "../store/imports/failed-rows.js";

// Named so that no column of an imported file maps to them: the file imports back as it is.
const failedRowColumns = [
  "tributary_row",
  "tributary_error_code",
  "tributary_error_field",
  "tributary_error_message",
];

/**
 * The failed-rows CSV: the four columns above, then the file's own `columns` (a CSV's rows share its
 * header: `firstKeptSourceColumns` gives them), one line per failed row with its errors joined by "; ".
 */
export function failedRowsCsv(
  rows: AsyncIterable<FailedRow>,
  sourceColumns: readonly string[],
): AsyncGenerator<string> {
  // A failed-rows file imported again and failing again brings its own four columns: they are replaced, not
  // repeated (a repeated header would refuse the next import of it).
  const columns = sourceColumns.filter((c) => c !== extraCellsKey && !failedRowColumns.includes(c));
  return joinedLines(
    rows,
    (r) => {
      const source = r.source === null ? null : (JSON.parse(r.source) as Record<string, unknown>);
      const extra = source?.[extraCellsKey];
      return csvLine([
        r.row,
        r.errors.map((e) => e.code).join("; "),
        r.errors.map((e) => e.field ?? "").join("; "),
        r.errors.map((e) => e.message).join("; "),
        ...columns.map((c) => source?.[c]),
        // A row with more cells than the header comes back with all of them, as the file had it.
        ...(Array.isArray(extra) ? extra : []),
      ]);
    },
    csvLine([...failedRowColumns, ...columns]),
  );
}

/** The failed-rows file of an NDJSON or JSON upload: each record with its failure beside its own keys. */
export function failedRowsNdjson(rows: AsyncIterable<FailedRow>): AsyncGenerator<string> {
  return joinedLines(rows, (r) => {
    const source: unknown = r.source === null ? null : JSON.parse(r.source);
    const failure = { tributary_row: r.row, tributary_errors: r.errors };
    // The record itself, with its failure beside its own keys, so the fixed file imports back as it is (no
    // field maps to a `tributary_` key); a line that was no JSON object comes back as its text to rewrite.
    return ndjsonLine(
      source !== null && typeof source === "object" && !Array.isArray(source)
        ? { ...failure, ...withoutFailure(source as Record<string, unknown>) }
        : { ...failure, tributary_source: source },
    );
  });
}

/**
 * A record without the failure keys of an earlier failed-rows file it came from (its new failure replaces them);
 * an unreadable line's `tributary_source` stays, so a line sent back unfixed keeps its text round after round.
 */
function withoutFailure(record: Record<string, unknown>): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const key in record)
    if (key !== "tributary_row" && key !== "tributary_errors") rest[key] = record[key];
  return rest;
}
