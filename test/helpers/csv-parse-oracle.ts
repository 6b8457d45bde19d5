import { isUtf8 } from "node:buffer";
import type { Options } from "csv-parse";
import { assertNotUtf16, completeCharactersEnd, nextIllFormed } from "../../src/formats/encoding.js";

// The CSV reader before CsvTokenizer replaced it (2026-12), kept as the oracle of the differential test
// and as the other side of `npm run bench -- csv-read`: csv-parse 7 with these options, and
// Utf8Validator for the offsets of bytes that are not UTF-8.

/** The csv-parse options readCsvRecords gave it (the oracle adds its own `on_skip`). */
export function legacyCsvParseOptions(delimiter: string, maxRecordBytes: number): Options {
  return {
    delimiter,
    bom: true,
    cast: false,
    columns: false,
    info: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: ["\r\n", "\n"],
    max_record_size: maxRecordBytes,
    skip_records_with_error: true,
  };
}

/**
 * Remembers the absolute byte offsets of invalid UTF-8 in a stream fed chunk by chunk, so a parser that
 * knows each record's byte range can tell which records are bad. A character split across chunks is held
 * back (at most 3 bytes) until the next chunk completes it. The happy path is one native isUtf8 per chunk.
 */
export class Utf8Validator {
  private carry: Buffer | null = null;
  private offset = 0;
  private head: Buffer = Buffer.alloc(0);
  private readonly invalid: number[] = [];
  private next = 0;

  /** Validates the next chunk; the chunk itself is not changed or kept. */
  push(chunk: Buffer): void {
    if (this.head.length < 2) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, 2)]).subarray(0, 2);
      assertNotUtf16(this.head);
    }
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const base = this.offset - (this.carry ? this.carry.length : 0);
    this.offset += chunk.length;
    const cut = completeCharactersEnd(buf);
    if (!isUtf8(buf.subarray(0, cut))) scanInvalid(buf, cut, base, this.invalid);
    this.carry = cut < buf.length ? Buffer.from(buf.subarray(cut)) : null;
  }

  /** Call once after the last chunk: a character cut off by the end of the file is invalid. */
  end(): void {
    if (this.carry) this.invalid.push(this.offset - this.carry.length);
    this.carry = null;
  }

  /**
   * The first invalid offset below `end` (exclusive), or -1. Forgets every offset below `end`, so calls
   * must come in increasing order of `end`, as records do.
   */
  takeInvalidBefore(end: number): number {
    const list = this.invalid;
    let first = -1;
    while (this.next < list.length && list[this.next] < end) {
      if (first < 0) first = list[this.next];
      this.next++;
    }
    if (this.next > 1024 && this.next * 2 > list.length) {
      list.splice(0, this.next);
      this.next = 0;
    }
    return first;
  }
}

/** Records the offset of every byte that starts an ill-formed sequence. */
function scanInvalid(buf: Buffer, end: number, base: number, out: number[]): void {
  for (let i = nextIllFormed(buf, 0, end); i < end; i = nextIllFormed(buf, i + 1, end)) out.push(base + i);
}
