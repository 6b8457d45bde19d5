import { readCsvRecords } from "../formats/csv/read-csv.js";
import { maybeGunzip } from "../formats/gzip.js";
import { readJsonArrayRecords } from "../formats/json-array/read-json-array.js";
import { readNdjsonRecords } from "../formats/ndjson/read-ndjson.js";
import type { ByteSource, RecordOutcome } from "../formats/records.js";
import { transcodeToUtf8 } from "../formats/transcode.js";
import type { ImportFormat } from "../store/imports/import-jobs.js";

// The reader pulls what it parses about this much at a time (the CSV tokenizer's slice).
const countedSlice = 64 * 1024;

/**
 * Counts the (possibly compressed) bytes a reader has pulled, for progress by bytes consumed. A stored
 * piece is 1 MiB: counted whole as it was pulled, the job's percent ran up to a piece ahead of its rows
 * (70% shown at 49% of a 7 MB file's rows), so pieces go on in slices, each counted when it is pulled.
 */
export class ByteCounter {
  bytes = 0;
  async *count(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const piece of source) {
      for (let at = 0; at < piece.length; at += countedSlice) {
        const slice = piece.length <= countedSlice ? piece : piece.subarray(at, at + countedSlice);
        this.bytes += slice.length;
        yield slice;
      }
    }
  }
}

/**
 * The records of an upload in one of the import formats, gunzipped when it is gzip, and read from the
 * encoding its sender named (a WHATWG name, `utf-8` for a file that named none).
 */
export function readUploadRecords(
  source: ByteSource,
  format: ImportFormat,
  encoding: string,
): AsyncGenerator<RecordOutcome> {
  const unzipped = maybeGunzip(source);
  const bytes = encoding === "utf-8" ? unzipped : transcodeToUtf8(unzipped, encoding);
  switch (format) {
    case "csv":
      // An export or results file of Tributary's (formulas neutralised) imports back as it was written.
      return readCsvRecords(bytes, { delimiter: "auto", restoreFormulas: true });
    case "ndjson":
      return readNdjsonRecords(bytes);
    case "json":
      return readJsonArrayRecords(bytes);
  }
}

// text/csv is the registered type (RFC 4180); the others are what older tools and mail clients still send.
const csvTypes = new Set([
  "text/csv",
  "application/csv",
  "text/x-csv",
  "application/x-csv",
  "text/comma-separated-values",
]);

/** The import format a content type (or a file name's extension) names, or undefined. */
export function formatOf(contentTypeOrName: string): ImportFormat | undefined {
  const value = contentTypeOrName.toLowerCase().split(";")[0].trim();
  if (csvTypes.has(value) || /\.csv(\.gz)?$/.test(value)) return "csv";
  if (
    value === "application/x-ndjson" ||
    value === "application/ndjson" ||
    value === "application/jsonl" ||
    /\.(ndjson|jsonl)(\.gz)?$/.test(value)
  )
    return "ndjson";
  if (value === "application/json" || /\.json(\.gz)?$/.test(value)) return "json";
  return undefined;
}
