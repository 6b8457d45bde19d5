import { isUtf8 } from "node:buffer";
import { completeCharactersEnd, nextIllFormed } from "../encoding.js";

/** One CSV record: its cells, the line where it starts and its first byte that is not UTF-8. */
export interface CsvRecord {
  readonly cells: string[];
  /** 1-based physical line of the record's first character; LF and CRLF end lines, a lone CR does not. */
  readonly line: number;
  /** Absolute offset in the input of the record's first byte that is not UTF-8, or -1. */
  readonly invalidByte: number;
}

/**
 * Why the tokenizer stopped before the end of the input; no later record is read. `line` is where the
 * record starts; for `too-large`, `limitLine` is the line of the byte at which it passed the limit.
 */
export type CsvStop =
  | { readonly reason: "unclosed-quote"; readonly line: number }
  | { readonly reason: "too-large"; readonly line: number; readonly limitLine: number };

export interface CsvTokenizerOptions {
  /** One character other than `"`, CR and LF. */
  delimiter: string;
  /** The record size limit, measured as csv-parse's `max_record_size` (see `limitPassedAt`); 0 for none. */
  maxRecordBytes: number;
}

const LF = 10;
const CR = 13;
const QUOTE = 34;
// A byte that is not UTF-8 decodes to the lone low surrogate U+DC00 + byte, which decoding valid UTF-8 can
// never produce (Python's "surrogateescape"), so the exact size check can recover the bytes.
const ESCAPE_BASE = 0xdc00;

/**
 * Splits UTF-8 CSV bytes, fed chunk by chunk, into records of string cells, with the quoting rules
 * csv-parse applied with `relax_quotes`, `skip_empty_lines` and `record_delimiter: ["\r\n", "\n"]`:
 *
 * - A cell is quoted only when `"` is its first character; `""` inside is one quote. A quote elsewhere in
 *   an unquoted cell is literal. A closing quote followed by anything but the delimiter, a line end or the
 *   end of input reopens the cell as text: `"q"z` is the cell `"q"z` (with `""` pairs before it already
 *   turned into one quote, as csv-parse does).
 * - Records end at LF or CRLF outside quotes; a lone CR is cell text. Empty lines are skipped.
 * - A UTF-8 byte-order mark at the start is dropped. Bytes that are not UTF-8 decode to lone surrogates
 *   (cells of such records are not meant to be shown) and the record holding the first reports its offset.
 *
 * Each chunk is checked with the native `isUtf8` and decoded once; cells are slices of that text found
 * with `charCodeAt` and `indexOf`. A record cut by the end of a chunk is carried over whole.
 */
export class CsvTokenizer {
  /** Set once a record could not be read; `push` and `end` then do nothing. */
  stopped: CsvStop | null = null;

  private readonly delimiter: number;
  private readonly delimiterText: string;
  private readonly maxBytes: number;

  // Decoding: a character cut by the end of a chunk waits in `tail` for the next one.
  private started = false;
  private tail: Buffer | null = null;
  private bytesIn = 0;
  private charsOut = 0;
  // Bytes that are not UTF-8, in input order: where their escape is in the decoded text, and their offset.
  private readonly badChars: number[] = [];
  private readonly badBytes: number[] = [];
  private badNext = 0;

  // Scanning: the text of the unfinished record, where it starts in the decoded text, and its line.
  private carry = "";
  private carryAt = 0;
  private line = 1;
  // Text decoded after `carry` that was not scanned yet.
  private readonly pending: string[] = [];
  private pendingLength = 0;

  constructor(options: CsvTokenizerOptions) {
    const { delimiter, maxRecordBytes } = options;
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\r" || delimiter === "\n") {
      throw new TypeError(`the CSV delimiter must be one character other than a quote or line end`);
    }
    if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 0) {
      throw new TypeError(`maxRecordBytes must be a non-negative integer, got ${maxRecordBytes}`);
    }
    this.delimiter = delimiter.charCodeAt(0);
    this.delimiterText = delimiter;
    this.maxBytes = maxRecordBytes === 0 ? Number.POSITIVE_INFINITY : maxRecordBytes;
  }

  /** Tokenizes the next chunk, appending the records it completes to `out`. */
  push(chunk: Uint8Array, out: CsvRecord[]): void {
    if (this.stopped !== null) return;
    const text = this.decode(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    if (this.carry === "") {
      this.scan(text, false, out);
      return;
    }
    this.pending.push(text);
    this.pendingLength += text.length;
    // An unfinished record is rescanned from its start. Waiting until as much new text has come as the
    // record already holds keeps a record spread over many small chunks linear, not quadratic, in its size.
    if (this.pendingLength >= this.carry.length) this.scan(this.takeCarry(), false, out);
  }

  /** Call once after the last chunk: appends the last records to `out`, or sets `stopped`. */
  end(out: CsvRecord[]): void {
    if (this.stopped !== null) return;
    if (this.tail !== null) {
      // A character cut off by the end of the input: not UTF-8, reported at its first byte.
      const tail = this.tail;
      this.tail = null;
      this.badChars.push(this.charsOut);
      this.badBytes.push(this.bytesIn - tail.length);
      this.charsOut += tail.length;
      const text = String.fromCharCode(...Array.from(tail, (byte) => ESCAPE_BASE + byte));
      this.pending.push(text);
      this.pendingLength += text.length;
    }
    this.scan(this.takeCarry(), true, out);
  }

  private takeCarry(): string {
    // join makes a flat string, which scans faster than the rope `+` would make.
    const text = [this.carry, ...this.pending].join("");
    this.pending.length = 0;
    this.pendingLength = 0;
    return text;
  }

  private decode(chunk: Buffer): string {
    let buf = chunk;
    let base = this.bytesIn;
    this.bytesIn += chunk.length;
    if (this.tail !== null) {
      buf = Buffer.concat([this.tail, chunk]);
      base -= this.tail.length;
      this.tail = null;
    }
    const end = completeCharactersEnd(buf);
    if (end < buf.length) this.tail = Buffer.from(buf.subarray(end));
    let start = 0;
    if (!this.started) {
      if (end === 0) return "";
      this.started = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
    }
    if (isUtf8(buf.subarray(start, end))) {
      const text = buf.toString("utf8", start, end);
      this.charsOut += text.length;
      return text;
    }
    return this.decodeMarkingInvalid(buf, start, end, base);
  }

  /** The slow path for a chunk with bad bytes: each byte of an ill-formed sequence is escaped. */
  private decodeMarkingInvalid(buf: Buffer, start: number, end: number, base: number): string {
    const parts: string[] = [];
    let chars = this.charsOut;
    let run = start;
    for (let i = nextIllFormed(buf, start, end); i < end; i = nextIllFormed(buf, i + 1, end)) {
      if (run < i) {
        const text = buf.toString("utf8", run, i);
        parts.push(text);
        chars += text.length;
      }
      this.badChars.push(chars);
      this.badBytes.push(base + i);
      parts.push(String.fromCharCode(ESCAPE_BASE + buf[i]));
      chars++;
      run = i + 1;
    }
    if (run < end) {
      const text = buf.toString("utf8", run, end);
      parts.push(text);
      chars += text.length;
    }
    this.charsOut = chars;
    return parts.join("");
  }

  /**
   * Reads the records of `s`, which starts at a record boundary. Unless `final`, a record that `s` ends
   * before it is complete is kept in `carry` for the next call.
   */
  private scan(s: string, final: boolean, out: CsvRecord[]): void {
    const len = s.length;
    const d = this.delimiter;
    const delimiter = this.delimiterText;
    const at = this.carryAt;
    let line = this.line;
    // The next delimiter and LF at or after the place being scanned (len for none), found when passed.
    let nextDelimiter = -1;
    let nextLf = -1;
    let i = 0;
    records: while (i < len) {
      const start = i;
      const startLine = line;
      const first = s.charCodeAt(i);
      if (first === LF) {
        line++;
        i++;
        continue;
      }
      if (first === CR) {
        if (i + 1 === len && !final) {
          this.suspend(s, start, startLine, false);
          return;
        }
        if (s.charCodeAt(i + 1) === LF) {
          line++;
          i += 2;
          continue;
        }
      }
      const cells: string[] = [];
      for (;;) {
        // One cell a turn, from i; `prefix` is the start of a quoted cell reopened as text.
        let prefix = "";
        if (s.charCodeAt(i) === QUOTE) {
          let content = "";
          let j = i + 1;
          for (;;) {
            const q = s.indexOf('"', j);
            if (q === -1) {
              this.suspend(s, start, startLine, final);
              return;
            }
            if (nextLf < j) nextLf = lfFrom(s, j);
            while (nextLf < q) {
              line++;
              nextLf = lfFrom(s, nextLf + 1);
            }
            if (q + 1 === len) {
              if (!final) {
                this.suspend(s, start, startLine, false);
                return;
              }
              cells.push(content + s.slice(j, q));
              i = len;
              if (!this.emit(s, start, i, cells, startLine, out)) return;
              continue records;
            }
            const next = s.charCodeAt(q + 1);
            if (next === QUOTE) {
              content += s.slice(j, q + 1);
              j = q + 2;
              continue;
            }
            if (next === d) {
              cells.push(content + s.slice(j, q));
              i = q + 2;
              break;
            }
            if (next === LF || (next === CR && s.charCodeAt(q + 2) === LF)) {
              cells.push(content + s.slice(j, q));
              i = next === LF ? q + 2 : q + 3;
              line++;
              if (!this.emit(s, start, i, cells, startLine, out)) return;
              continue records;
            }
            if (next === CR && q + 2 === len && !final) {
              this.suspend(s, start, startLine, false);
              return;
            }
            prefix = `"${content}${s.slice(j, q + 1)}`;
            i = q + 1;
            break;
          }
          if (prefix === "") continue;
        }
        // Unquoted: up to the next delimiter or LF, found with indexOf and remembered until passed.
        if (nextDelimiter < i) nextDelimiter = indexFrom(s, delimiter, i);
        if (nextLf < i) nextLf = lfFrom(s, i);
        if (nextDelimiter < nextLf) {
          const cell = s.slice(i, nextDelimiter);
          cells.push(prefix === "" ? cell : prefix + cell);
          i = nextDelimiter + 1;
          continue;
        }
        if (nextLf === len) {
          if (!final) {
            this.suspend(s, start, startLine, false);
            return;
          }
          cells.push(prefix + s.slice(i));
          i = len;
          if (!this.emit(s, start, i, cells, startLine, out)) return;
          continue records;
        }
        const k = nextLf;
        const cell = s.slice(i, k > i && s.charCodeAt(k - 1) === CR ? k - 1 : k);
        cells.push(prefix === "" ? cell : prefix + cell);
        line++;
        i = k + 1;
        if (!this.emit(s, start, i, cells, startLine, out)) return;
        continue records;
      }
    }
    this.carry = "";
    this.carryAt = at + len;
    this.line = line;
  }

  /** Appends the complete record `s.slice(start, end)`; false when it is over the size limit. */
  private emit(
    s: string,
    start: number,
    end: number,
    cells: string[],
    line: number,
    out: CsvRecord[],
  ): boolean {
    if (!this.fitsLimit(s, start, end, line, true)) return false;
    const at = this.carryAt + end;
    let invalidByte = -1;
    const badChars = this.badChars;
    if (this.badNext < badChars.length && badChars[this.badNext] < at) {
      invalidByte = this.badBytes[this.badNext];
      while (this.badNext < badChars.length && badChars[this.badNext] < at) this.badNext++;
      if (this.badNext === badChars.length) {
        badChars.length = 0;
        this.badBytes.length = 0;
        this.badNext = 0;
      }
    }
    out.push({ cells, line, invalidByte });
    return true;
  }

  /**
   * `s` ends inside the record starting at `start`: keeps it for the next chunk, or at the end of input
   * (`final`, only reached inside a quoted cell) stops with an unclosed quote, unless it is too large.
   */
  private suspend(s: string, start: number, line: number, final: boolean): void {
    if (!this.fitsLimit(s, start, s.length, line, final)) return;
    if (final) {
      this.stopped = { reason: "unclosed-quote", line };
      return;
    }
    this.carryAt += start;
    this.carry = s.slice(start);
    this.line = line;
  }

  /** False, after setting `stopped`, when the record in `s.slice(start, end)` passes the size limit. */
  private fitsLimit(s: string, start: number, end: number, line: number, final: boolean): boolean {
    // A record's size is at most 3 bytes per UTF-16 unit of its text, so most need no exact check.
    if ((end - start) * 3 <= this.maxBytes) return true;
    const lfs = limitPassedAt(s.slice(start, end), this.delimiter, this.maxBytes, final);
    if (lfs < 0) return true;
    this.stopped = { reason: "too-large", line, limitLine: line + lfs };
    return false;
  }
}

function indexFrom(s: string, search: string, from: number): number {
  const i = s.indexOf(search, from);
  return i === -1 ? s.length : i;
}

function lfFrom(s: string, from: number): number {
  const i = s.indexOf("\n", from);
  return i === -1 ? s.length : i;
}

/**
 * csv-parse's record size check, replayed on the text of one record so that limits mean what they meant:
 * before each byte is added to a cell, the UTF-16 length of the record's earlier cells plus the bytes of
 * this cell so far must not be over `max`. Returns how many LFs the record holds before the byte that
 * fails, or -1 when none does (up to where the text ends, or can be told from what follows unless `final`).
 */
function limitPassedAt(text: string, delimiter: number, max: number, final: boolean): number {
  const len = text.length;
  // csv-parse measured earlier cells as decoded strings: `units` counts this cell's UTF-16 units, and bytes
  // that were not UTF-8 wait in `invalid` until they end, to be counted as the U+FFFDs they decode to.
  let earlier = 0;
  let units = 0;
  let invalid: number[] = [];
  let bytes = 0;
  let quoting = false;
  let lfs = 0;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (quoting && c === QUOTE) {
      if (i + 1 === len && !final) return -1;
      const next = text.charCodeAt(i + 1);
      if (next === QUOTE) {
        i++;
      } else if (next === CR && i + 2 === len && !final) {
        return -1;
      } else if (
        i + 1 === len ||
        next === delimiter ||
        next === LF ||
        (next === CR && text.charCodeAt(i + 2) === LF)
      ) {
        quoting = false;
        i++;
        continue;
      } else {
        // Reopened as text: csv-parse puts the opening quote back in front.
        quoting = false;
        units++;
        bytes++;
      }
    } else if (!quoting) {
      if (c === QUOTE && bytes === 0) {
        quoting = true;
        i++;
        continue;
      }
      if (c === LF || (c === CR && text.charCodeAt(i + 1) === LF)) return -1;
      if (c === CR && i + 1 === len && !final) return -1;
      if (c === delimiter) {
        earlier += units + decodedLength(invalid);
        invalid = [];
        units = 0;
        bytes = 0;
        i++;
        continue;
      }
    }
    let width = 1;
    let charBytes = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      width = 2;
      charBytes = 4;
    } else if (c >= ESCAPE_BASE && c <= ESCAPE_BASE + 0xff) {
      charBytes = 1;
    }
    if (earlier + bytes + charBytes - 1 > max) return lfs;
    if (charBytes === 1 && c >= ESCAPE_BASE) {
      invalid.push(c - ESCAPE_BASE);
    } else {
      units += width + decodedLength(invalid);
      if (invalid.length > 0) invalid = [];
    }
    bytes += charBytes;
    if (c === LF) lfs++;
    i += width;
  }
  return -1;
}

function decodedLength(bytes: number[]): number {
  return bytes.length === 0 ? 0 : Buffer.from(bytes).toString("utf8").length;
}
