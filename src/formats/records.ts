/**
 * What every streaming reader in src/formats yields: one outcome per data row, in file order. A bad row is
 * an `error` outcome and reading goes on; a file that cannot be read at all throws FileRejectedError.
 *
 * `row` counts data rows as a person does: 1 is the first record (for CSV the first row after the header,
 * for NDJSON the first non-blank line, for a JSON array the first element). `line` is the 1-based physical
 * line of the file where the row starts, for pointing an editor at it.
 */
export type RecordOutcome =
  | {
      kind: "record";
      row: number;
      line: number;
      fields: Record<string, unknown>;
      /**
       * A CSV row's cells in the header's order, and the header (the same array for every row of the file):
       * the row once more, by position, for a reader that takes columns by index rather than by name.
       */
      cells?: readonly string[];
      header?: readonly string[];
    }
  | {
      kind: "error";
      row: number;
      line: number;
      code: RecordErrorCode;
      message: string;
      /**
       * What the row held as far as it could be read, for giving it back to be fixed: a ragged CSV row's
       * cells by column (cells past the header under `extraCellsKey`), the text of a line that is not a
       * JSON object. Absent when the row could not be read at all.
       */
      source?: Record<string, unknown> | string;
    };

/** The key of a ragged CSV row's source that holds its cells past the header's last column. */
export const extraCellsKey = "tributary_extra_cells";

export type RecordErrorCode =
  | "CSV_RAGGED_ROW"
  | "CSV_UNCLOSED_QUOTE"
  | "CSV_RECORD_TOO_LARGE"
  | "ENCODING_INVALID_UTF8"
  | "NDJSON_INVALID_LINE"
  | "NDJSON_NOT_OBJECT"
  | "NDJSON_LINE_TOO_LONG"
  | "NDJSON_FORBIDDEN_KEY"
  | "JSON_INVALID"
  | "JSON_ARRAY_UNCLOSED"
  | "JSON_NOT_OBJECT"
  | "JSON_ELEMENT_TOO_LARGE"
  | "JSON_FORBIDDEN_KEY";

export type FileRejectedCode =
  | "CSV_NO_HEADER"
  | "CSV_HEADER_EMPTY"
  | "CSV_HEADER_DUPLICATE"
  | "CSV_HEADER_FORBIDDEN"
  | "ENCODING_INVALID_UTF8"
  | "ENCODING_UNSUPPORTED"
  | "JSON_NOT_ARRAY";

/** The whole file is unusable (no header, wrong encoding, wrong shape): the upload deserves a 4xx. */
export class FileRejectedError extends Error {
  override readonly name: string = "FileRejectedError";
  constructor(
    readonly code: FileRejectedCode,
    message: string,
    readonly line?: number,
    readonly byteOffset?: number,
  ) {
    super(message);
  }
}

/** Keys that turn into prototype writes when a record is later merged with Object.assign or spread. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export type JsonObjectResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; problem: "invalid" | "not-object" | "forbidden-key"; message: string };

// JSON.parse decodes \u escapes in keys, so a key can only be forbidden if its text names it or escapes.
const MAYBE_FORBIDDEN = /__proto__|constructor|prototype|\\u/;

/** Parses one JSON text that must be an object with no forbidden key at any depth. */
export function parseJsonObject(text: string): JsonObjectResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: "invalid", message: (err as Error).message };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
    return { ok: false, problem: "not-object", message: `expected an object, got ${kind}` };
  }
  if (MAYBE_FORBIDDEN.test(text)) {
    const key = findForbiddenKey(value);
    if (key !== undefined) return { ok: false, problem: "forbidden-key", message: `forbidden key "${key}"` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function findForbiddenKey(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findForbiddenKey(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return key;
    const found = findForbiddenKey((value as Record<string, unknown>)[key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** What the readers accept: a Node stream, or any (async) iterable of Buffers or strings. */
export type ByteSource = AsyncIterable<Buffer | string> | Iterable<Buffer | string> | NodeJS.ReadableStream;

/** The source as Buffers. String chunks must hold whole characters (a split surrogate pair is lost). */
export async function* toBuffers(source: ByteSource): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer | string>) {
    yield typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
  }
}
