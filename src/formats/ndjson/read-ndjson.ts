import { isUtf8 } from "node:buffer";
import { assertNotUtf16, UTF8_BOM } from "../encoding.js";
import { type ByteSource, parseJsonObject, type RecordOutcome, toBuffers } from "../records.js";

export interface NdjsonReadOptions {
  /** Longest line in bytes; a longer one is an NDJSON_LINE_TOO_LONG outcome and is never held whole. */
  maxLineBytes?: number;
}

const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/**
 * Reads newline-delimited JSON, one object per line (LF or CRLF; blank lines skipped and not counted as
 * rows). Each bad line is an error outcome and reading goes on.
 */
export async function* readNdjsonRecords(
  input: ByteSource,
  options: NdjsonReadOptions = {},
): AsyncGenerator<RecordOutcome> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let parts: Buffer[] = [];
  let partsLength = 0;
  let tooLong = false;
  let line = 0;
  let row = 0;
  for await (const chunk of toBuffers(input)) {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!tooLong && end > start) {
        if (partsLength + (end - start) > maxLineBytes) {
          tooLong = true;
          parts = [];
          partsLength = 0;
        } else {
          parts.push(chunk.subarray(start, end));
          partsLength += end - start;
        }
      }
      if (newline === -1) break;
      line++;
      const outcome = lineOutcome(tooLong ? null : join(parts, partsLength), line, row + 1, maxLineBytes);
      if (outcome !== null) {
        row++;
        yield outcome;
      }
      parts = [];
      partsLength = 0;
      tooLong = false;
      start = newline + 1;
    }
  }
  if (tooLong || partsLength > 0) {
    const outcome = lineOutcome(tooLong ? null : join(parts, partsLength), line + 1, row + 1, maxLineBytes);
    if (outcome !== null) yield outcome;
  }
}

function join(parts: Buffer[], length: number): Buffer {
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
}

/** The outcome for one line without its LF (null bytes: over the limit), or null for a blank line. */
function lineOutcome(
  bytes: Buffer | null,
  line: number,
  row: number,
  maxLineBytes: number,
): RecordOutcome | null {
  if (bytes === null) {
    return {
      kind: "error",
      row,
      line,
      code: "NDJSON_LINE_TOO_LONG",
      message: `longer than ${maxLineBytes} bytes`,
    };
  }
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  let begin = 0;
  if (line === 1) {
    assertNotUtf16(bytes);
    if (bytes.subarray(0, 3).equals(UTF8_BOM)) begin = 3;
  }
  const body = bytes.subarray(begin, end);
  if (!isUtf8(body)) {
    return {
      kind: "error",
      row,
      line,
      code: "ENCODING_INVALID_UTF8",
      message:
        "the line is not UTF-8 (a Latin-1 or Windows-1252 file?); save the file as UTF-8 or name its encoding (encoding=windows-1252)",
    };
  }
  const text = body.toString("utf8");
  // Whitespace-only lines are blank; checking the first byte first spares a trim for ordinary lines.
  if (text.length === 0 || (text.charCodeAt(0) <= 0x20 && text.trim() === "")) return null;
  const parsed = parseJsonObject(text);
  if (parsed.ok) return { kind: "record", row, line, fields: parsed.value };
  const code =
    parsed.problem === "invalid"
      ? "NDJSON_INVALID_LINE"
      : parsed.problem === "not-object"
        ? "NDJSON_NOT_OBJECT"
        : "NDJSON_FORBIDDEN_KEY";
  return { kind: "error", row, line, code, message: parsed.message, source: text };
}
