import { isUtf8 } from "node:buffer";
import { FileEncodingError } from "../encoding.js";
import {
  type ByteSource,
  FileRejectedError,
  parseJsonObject,
  type RecordOutcome,
  toBuffers,
} from "../records.js";

export interface JsonArrayReadOptions {
  /** Largest element in bytes; a larger one is a JSON_ELEMENT_TOO_LARGE outcome and is never held whole. */
  maxElementBytes?: number;
}

const DEFAULT_MAX_ELEMENT_BYTES = 1 << 20;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const LF = 0x0a;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Reads a top-level JSON array of objects, one outcome per element (row 1 = the first element), holding
 * one element at a time. A scanner finds element boundaries by tracking strings, escapes and nesting on
 * raw bytes (no UTF-8 byte of a multi-byte character is ASCII, so chunk splits cannot fool it), then each
 * element is JSON.parse'd alone. A malformed element is an error outcome; a file that is not an array
 * throws FileRejectedError.
 */
export async function* readJsonArrayRecords(
  input: ByteSource,
  options: JsonArrayReadOptions = {},
): AsyncGenerator<RecordOutcome> {
  const maxElementBytes = options.maxElementBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
  let phase: "before" | "inside" | "after" = "before";
  let offset = 0;
  let line = 1;
  let row = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  // The element being collected: its bytes so far, where it began, whether it has any non-space byte.
  let parts: Buffer[] = [];
  let partsLength = 0;
  let tooLong = false;
  let hasContent = false;
  let elementLine = 0;

  const collect = (bytes: Buffer) => {
    if (tooLong || bytes.length === 0) return;
    if (partsLength + bytes.length > maxElementBytes) {
      tooLong = true;
      parts = [];
      partsLength = 0;
    } else {
      parts.push(bytes);
      partsLength += bytes.length;
    }
  };
  const finishElement = (): RecordOutcome => {
    row++;
    const at = hasContent ? elementLine : line;
    const outcome = elementOutcome(tooLong ? null : Buffer.concat(parts, partsLength), hasContent, row, at);
    parts = [];
    partsLength = 0;
    tooLong = false;
    hasContent = false;
    return outcome;
  };

  for await (const chunk of toBuffers(input)) {
    let segmentStart = 0;
    const outcomes: RecordOutcome[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === LF) line++;
      if (phase === "inside") {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) inString = false;
          continue;
        }
        if (isWhitespace(b)) continue;
        if (depth === 0 && (b === COMMA || b === 0x5d)) {
          collect(chunk.subarray(segmentStart, i));
          segmentStart = i + 1;
          // `[]` has no element; `[{},]` has an empty one, which elementOutcome reports.
          if (b === COMMA || hasContent || row > 0) outcomes.push(finishElement());
          if (b === 0x5d) phase = "after";
          continue;
        }
        if (!hasContent) {
          hasContent = true;
          elementLine = line;
        }
        if (b === QUOTE) inString = true;
        else if (b === 0x7b || b === 0x5b) depth++;
        else if ((b === 0x7d || b === 0x5d) && depth > 0) depth--;
      } else if (phase === "before") {
        if (offset + i < 3 && b === [0xef, 0xbb, 0xbf][offset + i]) continue;
        if (isWhitespace(b)) continue;
        if (b === 0x5b) {
          phase = "inside";
          segmentStart = i + 1;
          continue;
        }
        if (offset + i < 2 && (b === 0xff || b === 0xfe || b === 0)) {
          throw new FileEncodingError(
            "ENCODING_UNSUPPORTED",
            "the file is UTF-16 or UTF-32; save it as UTF-8",
            1,
            0,
          );
        }
        throw new FileRejectedError(
          "JSON_NOT_ARRAY",
          "the file is not a JSON array ([{...}, ...])",
          line,
          offset + i,
        );
      } else if (!isWhitespace(b)) {
        outcomes.push({
          kind: "error",
          row: row + 1,
          line,
          code: "JSON_INVALID",
          message: "unexpected data after the closing ] of the array; it was not read",
        });
        yield* outcomes;
        return;
      }
    }
    if (phase === "inside") collect(chunk.subarray(segmentStart));
    offset += chunk.length;
    yield* outcomes;
  }
  if (phase === "before")
    throw new FileRejectedError("JSON_NOT_ARRAY", "the file is empty, not a JSON array");
  if (phase === "inside") {
    const { row: lastRow, line: lastLine } = finishElement();
    const message = "the array is never closed (truncated file?)";
    yield { kind: "error", row: lastRow, line: lastLine, code: "JSON_ARRAY_UNCLOSED", message };
  }
}

function elementOutcome(bytes: Buffer | null, hasContent: boolean, row: number, line: number): RecordOutcome {
  if (bytes === null) {
    return {
      kind: "error",
      row,
      line,
      code: "JSON_ELEMENT_TOO_LARGE",
      message: "the element is over the size limit",
    };
  }
  if (!hasContent) return { kind: "error", row, line, code: "JSON_INVALID", message: "empty array element" };
  if (!isUtf8(bytes)) {
    return {
      kind: "error",
      row,
      line,
      code: "ENCODING_INVALID_UTF8",
      message:
        "the element is not UTF-8 (a Latin-1 or Windows-1252 file?); save the file as UTF-8 or name its encoding (encoding=windows-1252)",
    };
  }
  const text = bytes.toString("utf8");
  const parsed = parseJsonObject(text);
  if (parsed.ok) return { kind: "record", row, line, fields: parsed.value };
  const code =
    parsed.problem === "invalid"
      ? "JSON_INVALID"
      : parsed.problem === "not-object"
        ? "JSON_NOT_OBJECT"
        : "JSON_FORBIDDEN_KEY";
  return { kind: "error", row, line, code, message: parsed.message, source: text };
}
