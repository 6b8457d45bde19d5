import { FileRejectedError } from "./records.js";

/**
 * Encoding policy (docs/formats/csv-ndjson.md): input must be UTF-8. A row holding bytes that are not
 * UTF-8 (say one Latin-1 "é") becomes an ENCODING_INVALID_UTF8 outcome for that row and the rest goes on,
 * because guessing Latin-1 silently would store mojibake whenever the guess is wrong. The file is refused
 * with FileEncodingError only when it cannot be read at all: a UTF-16/UTF-32 byte-order mark, or a header
 * that is not UTF-8 (no field names to map).
 */
export class FileEncodingError extends FileRejectedError {
  override readonly name = "FileEncodingError";
}

export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Throws when the file starts with a UTF-16 or UTF-32 byte-order mark; needs the first 2 bytes. */
export function assertNotUtf16(start: Buffer): void {
  if (start.length < 2) return;
  const [a, b] = start;
  if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff) || (a === 0 && b === 0)) {
    throw new FileEncodingError(
      "ENCODING_UNSUPPORTED",
      "the file is UTF-16 or UTF-32 (byte-order mark); save it as UTF-8",
      1,
      0,
    );
  }
}

/** Where a trailing incomplete multi-byte character starts, or the buffer's length when there is none. */
export function completeCharactersEnd(buf: Buffer): number {
  const len = buf.length;
  for (let i = len - 1; i >= 0 && i >= len - 3; i--) {
    const b = buf[i];
    if (b < 0x80) return len;
    if (b >= 0xc0) return sequenceLength(b) > len - i ? i : len;
  }
  return len;
}

/** How many bytes a UTF-8 sequence with this lead byte has (1 for ASCII and for bytes that lead nothing). */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 1;
}

/** The length of the well-formed sequence at `i` (Unicode 15, table 3-7), or 0 when it is ill-formed. */
function wellFormedLength(buf: Buffer, i: number, end: number): number {
  const b = buf[i];
  const n = sequenceLength(b);
  if (n === 1 || i + n > end) return 0;
  const second = buf[i + 1];
  const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < n; k++) if ((buf[i + k] & 0xc0) !== 0x80) return 0;
  return n;
}

/** The offset of the first byte from `i` on that starts an ill-formed sequence, or `end` when none does. */
export function nextIllFormed(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    if (buf[i] < 0x80) {
      i++;
      continue;
    }
    const n = wellFormedLength(buf, i, end);
    if (n === 0) return i;
    i += n;
  }
  return end;
}
