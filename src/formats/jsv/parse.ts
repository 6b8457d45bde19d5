// JSV (ServiceStack.Text's "JSON + CSV" text format) into untyped values: maps, lists and strings.
// JSV carries no types, so every scalar comes back as a string; the jsvTo* helpers coerce on demand.
// The rules and the reasons for each choice are in docs/formats/jsv.md.

/**
 * A map as JSON.parse builds one: a plain object whose keys are all own data properties, `__proto__`,
 * `constructor` and `prototype` included, so no key changes a prototype. Read it with getJsvField or
 * Object.hasOwn, never `map[name]` alone, or an absent `toString` finds Object.prototype's.
 */
export interface JsvMap {
  [key: string]: JsvValue;
}
export type JsvList = JsvValue[];
/** `null` only for an empty document; JSV has no null literal. */
export type JsvValue = string | JsvList | JsvMap | null;

/** Malformed JSV. `position` is the 0-based UTF-16 offset of the unclosed opener or the offending character. */
export class JsvSyntaxError extends SyntaxError {
  override readonly name = "JsvSyntaxError";
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
  }
}

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN_LIST = 91;
const CLOSE_LIST = 93;
const OPEN_MAP = 123;
const CLOSE_MAP = 125;
const BOM = 0xfeff;
/** The closer of the top level, where a list may come without brackets and ends with the text. */
const END_OF_TEXT = -1;
// Deep enough for any real payload, shallow enough that hostile nesting fails cleanly, not with a stack overflow.
const MAX_DEPTH = 500;

function isWhitespace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}

function isLineBreak(c: number): boolean {
  return c === LF || c === CR;
}

type MapBuilder = (values: JsvValue[]) => JsvMap;

interface MapShape {
  keys: string[];
  /** Each key that reads the same compared raw as parsed (see PLAIN_KEY), else undefined. */
  rawKeys: (string | undefined)[];
  /** The values of the map being read at this depth, in key order. */
  values: JsvValue[];
  build: MapBuilder | undefined;
}

// A key an unquoted read gives back unchanged: `"a:b"` or `"x "` came quoted, and compared raw with the text
// `a:b:1` or `x :` they would claim a key that an unquoted read splits or trims differently.
const PLAIN_KEY = /^(?:[^":,}][^:,}]*)?$/;

// Builders outlive a parse, so a service reading the same DTO again reuses code V8 has already optimised.
// Compiling costs far more than one map: a document compiles at most a few, the cache keeps the latest.
const builders = new Map<string, MapBuilder>();
const MAX_CACHED_BUILDERS = 256;
const MAX_COMPILES_PER_DOCUMENT = 32;

function ownEntry(value: JsvValue): PropertyDescriptor {
  return { value, writable: true, enumerable: true, configurable: true };
}

/**
 * A function returning an object literal with these keys: V8 then creates every such map with one hidden
 * class in a single allocation, as JSON.parse does, instead of growing it key by key. The keys are embedded
 * as JSON string literals, so no key can inject code; `__proto__` is a computed key, which defines an own
 * property instead of setting the prototype.
 */
function compileBuilder(keys: string[]): MapBuilder {
  const entries = keys.map((key, k) =>
    key === "__proto__" ? `["__proto__"]:v[${k}]` : `${JSON.stringify(key)}:v[${k}]`,
  );
  return new Function("v", `return {${entries.join(",")}};`) as MapBuilder;
}

class JsvParser {
  pos: number;
  private depth = 0;
  // The next `,` `}` `]` at or after the scan position, found with native indexOf and kept until passed:
  // scalars end at the first of them, whatever quotes lie between.
  private nextComma = -1;
  private nextMapClose = -1;
  private nextListClose = -1;
  /** The last map's keys at each depth: sibling maps nearly always repeat the same keys in the same order. */
  private readonly shapes: MapShape[] = [];
  private compiles = 0;

  constructor(
    private readonly text: string,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  private skipWhitespace(i: number): number {
    const { text, end } = this;
    while (i < end && isWhitespace(text.charCodeAt(i))) i++;
    return i;
  }

  /**
   * A container whose opener is followed by a line break is pretty-printed (JsvFormatter's layout): its
   * unquoted scalars are trimmed. The writer never emits a bare line break there, so compact JSV keeps its
   * significant spaces.
   */
  private opensPretty(open: number): boolean {
    const { text, end } = this;
    let i = open + 1;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c !== SPACE && c !== TAB) return isLineBreak(c);
      i++;
    }
    return false;
  }

  private enter(open: number): void {
    if (++this.depth > MAX_DEPTH) throw new JsvSyntaxError(`nesting deeper than ${MAX_DEPTH}`, open);
  }

  private unexpected(i: number, where: string): JsvSyntaxError {
    return new JsvSyntaxError(`unexpected ${JSON.stringify(this.text[i])} ${where}`, i);
  }

  private after(char: string, from: number): number {
    const found = this.text.indexOf(char, from);
    return found === -1 || found > this.end ? this.end : found;
  }

  private scalarEnd(from: number, closer: number): number {
    if (this.nextComma < from) this.nextComma = this.after(",", from);
    if (closer === CLOSE_MAP) {
      if (this.nextMapClose < from) this.nextMapClose = this.after("}", from);
      return Math.min(this.nextComma, this.nextMapClose);
    }
    if (closer === CLOSE_LIST) {
      if (this.nextListClose < from) this.nextListClose = this.after("]", from);
      return Math.min(this.nextComma, this.nextListClose);
    }
    return this.nextComma;
  }

  /**
   * One value starting at `pos`, left at the separator or closer that ends it. Unquoted scalars end at a comma
   * or `closer` only, so `2:nd` and `a]b` inside a map are plain text, as ServiceStack reads them.
   */
  value(closer: number, pretty: boolean): JsvValue {
    const { text, end } = this;
    const from = this.pos;
    const first = this.skipWhitespace(from);
    const c = first < end ? text.charCodeAt(first) : END_OF_TEXT;
    let result: JsvValue;
    if (c === OPEN_MAP) {
      this.pos = first;
      result = this.map(pretty);
    } else if (c === OPEN_LIST) {
      this.pos = first;
      result = this.list(pretty);
    } else if (c === QUOTE) {
      this.pos = first;
      result = this.quoted();
    } else {
      const start = pretty ? first : from;
      const i = this.scalarEnd(first, closer);
      let stop = i;
      if (pretty) while (stop > start && isWhitespace(text.charCodeAt(stop - 1))) stop--;
      this.pos = i;
      return text.slice(start, stop);
    }
    this.pos = this.skipWhitespace(this.pos);
    return result;
  }

  private quoted(): string {
    const { text, end } = this;
    const open = this.pos;
    let from = open + 1;
    let doubled = "";
    for (;;) {
      const q = text.indexOf('"', from);
      if (q === -1 || q >= end) throw new JsvSyntaxError("unclosed quote", open);
      if (q + 1 < end && text.charCodeAt(q + 1) === QUOTE) {
        doubled += text.slice(from, q + 1);
        from = q + 2;
        continue;
      }
      this.pos = q + 1;
      return doubled + text.slice(from, q);
    }
  }

  /**
   * The key starting at `pos` (past any whitespace), compared in place with `expected`, the raw text of the
   * key at this position in the previous sibling map, so that a repeated key costs no new string.
   */
  private key(open: number, expected: string | undefined): string {
    const { text, end } = this;
    let i = this.pos;
    const c = text.charCodeAt(i);
    // A quoted key is never compared raw: `"":` is the empty key even when the key expected is `""`.
    if (
      expected !== undefined &&
      c !== QUOTE &&
      text.charCodeAt(i + expected.length) === COLON &&
      text.startsWith(expected, i)
    ) {
      this.pos = i + expected.length + 1;
      return expected;
    }
    if (c === QUOTE) {
      this.pos = i;
      const key = this.quoted();
      i = this.skipWhitespace(this.pos);
      if (i >= end) throw new JsvSyntaxError("unclosed '{'", open);
      if (text.charCodeAt(i) !== COLON) throw this.unexpected(i, "after a quoted map key");
      this.pos = i + 1;
      return key;
    }
    const start = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === COLON) {
        this.pos = i + 1;
        return text.slice(start, i).trim();
      }
      if (c === COMMA || c === CLOSE_MAP) throw new JsvSyntaxError("map key without ':'", i);
      i++;
    }
    throw new JsvSyntaxError("unclosed '{'", open);
  }

  private shapeAt(depth: number): MapShape {
    let shape = this.shapes[depth];
    if (shape === undefined) {
      shape = { keys: [], rawKeys: [], values: [], build: undefined };
      this.shapes[depth] = shape;
    }
    return shape;
  }

  /** The map, from the shape's compiled builder when this map repeats the last one's keys. */
  private finishMap(shape: MapShape, keys: string[], count: number, sameKeys: boolean): JsvMap {
    const { values } = shape;
    if (sameKeys && count === shape.keys.length) {
      if (shape.build === undefined) shape.build = this.builder(shape.keys);
      if (shape.build !== undefined) return shape.build(values);
    } else {
      shape.keys = keys.slice(0, count);
      shape.rawKeys = shape.keys.map((key) => (PLAIN_KEY.test(key) && key === key.trim() ? key : undefined));
      shape.build = undefined;
    }
    const map: JsvMap = {};
    for (let k = 0; k < count; k++) {
      if (keys[k] === "__proto__") Object.defineProperty(map, "__proto__", ownEntry(values[k]));
      else map[keys[k]] = values[k];
    }
    return map;
  }

  private builder(keys: string[]): MapBuilder | undefined {
    // JSON keeps the signatures of [] and [""], or of ["a\u0000", "b"] and ["a", "\u0000b"], apart.
    const signature = JSON.stringify(keys);
    let build = builders.get(signature);
    if (build === undefined && this.compiles < MAX_COMPILES_PER_DOCUMENT) {
      this.compiles++;
      build = compileBuilder(keys);
      if (builders.size >= MAX_CACHED_BUILDERS) builders.delete(builders.keys().next().value as string);
      builders.set(signature, build);
    }
    return build;
  }

  private map(pretty: boolean): JsvMap {
    const { text, end } = this;
    const open = this.pos;
    this.enter(open);
    const inner = pretty || this.opensPretty(open);
    const shape = this.shapeAt(this.depth);
    let keys: string[] = shape.keys;
    let sameKeys = true;
    this.pos = open + 1;
    for (let count = 0; ; count++) {
      const i = this.skipWhitespace(this.pos);
      if (i >= end) throw new JsvSyntaxError("unclosed '{'", open);
      // Also accepts a trailing comma, as ServiceStack does.
      if (text.charCodeAt(i) === CLOSE_MAP) {
        this.pos = i + 1;
        this.depth--;
        return this.finishMap(shape, keys, count, sameKeys);
      }
      this.pos = i;
      const expected = sameKeys ? shape.keys[count] : undefined;
      const key = this.key(open, sameKeys ? shape.rawKeys[count] : undefined);
      if (sameKeys && key !== expected) {
        sameKeys = false;
        keys = keys.slice(0, count);
      }
      if (!sameKeys) keys.push(key);
      // Nested maps sit one depth further down, so they never write into this buffer.
      shape.values[count] = this.value(CLOSE_MAP, inner);
      const j = this.pos;
      if (j >= end) throw new JsvSyntaxError("unclosed '{'", open);
      const c = text.charCodeAt(j);
      if (c === COMMA) this.pos = j + 1;
      else if (c === CLOSE_MAP) this.pos = j;
      else throw this.unexpected(j, "after a map value");
    }
  }

  private list(pretty: boolean): JsvList {
    const { text, end } = this;
    const open = this.pos;
    this.enter(open);
    const inner = pretty || this.opensPretty(open);
    const list: JsvList = [];
    // In compact JSV `[ ]` is a list holding one space; only `[]` (or a pretty-printed blank) is empty.
    const first = inner ? this.skipWhitespace(open + 1) : open + 1;
    if (first < end && text.charCodeAt(first) === CLOSE_LIST) {
      this.pos = first + 1;
      this.depth--;
      return list;
    }
    this.pos = open + 1;
    for (;;) {
      const value = this.value(CLOSE_LIST, inner);
      const j = this.pos;
      if (j >= end) throw new JsvSyntaxError("unclosed '['", open);
      list.push(value);
      const c = text.charCodeAt(j);
      if (c === COMMA) {
        this.pos = j + 1;
      } else if (c === CLOSE_LIST) {
        this.pos = j + 1;
        this.depth--;
        return list;
      } else {
        throw this.unexpected(j, "after a list item");
      }
    }
  }

  /** The whole text: one value, or a list without brackets when top-level values are comma-separated. */
  document(): JsvValue {
    const { text, end } = this;
    const first = this.value(END_OF_TEXT, false);
    if (this.pos >= end) return first;
    const items: JsvList = [first];
    while (this.pos < end) {
      if (text.charCodeAt(this.pos) !== COMMA) throw this.unexpected(this.pos, "after the top-level value");
      this.pos++;
      items.push(this.value(END_OF_TEXT, false));
    }
    return items;
  }
}

/**
 * Parses JSV text into maps (plain objects, see JsvMap), lists (arrays) and strings; empty text is null.
 * Throws JsvSyntaxError on an unclosed `{`, `[` or quote, or on text after a closed value.
 */
export function parseJsv(text: string): JsvValue {
  let start = 0;
  let end = text.length;
  if (start < end && text.charCodeAt(0) === BOM) start++;
  // A trailing newline from a file or a heredoc is never data: the writer quotes any string with a line break.
  while (start < end && isLineBreak(text.charCodeAt(start))) start++;
  while (end > start && isLineBreak(text.charCodeAt(end - 1))) end--;
  if (start === end) return null;
  return new JsvParser(text, start, end).document();
}

export function isJsvMap(value: unknown): value is JsvMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isJsvList(value: unknown): value is JsvList {
  return Array.isArray(value);
}

/**
 * The value under `name` in a map, matching the key case-insensitively as ServiceStack does; an exact match
 * wins, otherwise the first match in document order. Undefined when absent or when `map` is not a map.
 */
export function getJsvField(map: unknown, name: string): JsvValue | undefined {
  if (!isJsvMap(map)) return undefined;
  if (Object.hasOwn(map, name)) return map[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(map)) if (key.toLowerCase() === lower) return map[key];
  return undefined;
}

/** A scalar's text with surrounding whitespace and one pair of wrapping quotes removed. */
function scalarText(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"'))
    return trimmed.slice(1, -1).trim();
  return trimmed;
}

const TRUE_WORDS = new Set(["true", "1", "t", "y", "yes", "on"]);
const FALSE_WORDS = new Set(["false", "0", "f", "n", "no", "off"]);

/** `True`/`False` in any case, also `1 t y yes on` and `0 f n no off`; undefined for anything else. */
export function jsvToBoolean(value: unknown): boolean | undefined {
  const text = scalarText(value)?.toLowerCase();
  if (text === undefined) return undefined;
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  return undefined;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite decimal number, quoted or not; undefined for anything else (hex, `NaN`, thousands separators). */
export function jsvToNumber(value: unknown): number | undefined {
  const text = scalarText(value);
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}

const DOTNET_MIN_MS = -62135596800000;
const HOUR_MS = 3_600_000;

/**
 * True for .NET's DateTime.MinValue (0001-01-01), which ServiceStack writes for an unset non-nullable date.
 * Allows up to 14 hours either side because a local-time MinValue may carry a UTC offset.
 */
export function isDotNetMinDate(date: Date): boolean {
  return Math.abs(date.getTime() - DOTNET_MIN_MS) <= 14 * HOUR_MS;
}

const WCF_DATE = /^\\?\/Date\((-?\d+)(?:[+-]\d{2}:?\d{2})?\)\\?\/$/;
const TIME = String.raw`(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?`;
const YEAR_FIRST = new RegExp(String.raw`^(\d{4})[-/](\d{1,2})[-/](\d{1,2})${TIME}$`, "i");
const YEAR_LAST = new RegExp(String.raw`^(\d{1,2})([-/])(\d{1,2})\2(\d{4})${TIME}$`, "i");
const CONDENSED = /^(\d{4})(\d{2})(\d{2})$/;

function zoneOffsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === "Z") return 0;
  const sign = zone[0] === "-" ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0"));
}

/** The instant, or undefined when a field is out of range (month 13, 30 February, hour 24). */
function utcDate(
  year: number,
  month: number,
  day: number,
  time: (string | undefined)[],
  zone: string | undefined,
): Date | undefined {
  const [hour = "0", minute = "0", second = "0", fraction = ""] = time;
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (month < 1 || month > 12 || day < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  // .NET keeps 100 ns ticks; a JS Date keeps milliseconds, so extra digits are cut, not rounded.
  const ms = Number(fraction.padEnd(3, "0").slice(0, 3));
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear keeps 0001-01-01 in year 1.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1) return undefined;
  date.setUTCHours(h, mi, s, ms);
  return new Date(date.getTime() - zoneOffsetMinutes(zone) * 60_000);
}

/**
 * A date in any form ServiceStack reads: XSD/ISO 8601 (`1979-05-09`, `2011-8-4`, `…T22:12:56.0388671+11:00`,
 * a space for `T`), `20001213`, WCF `\/Date(ms±hhmm)\/` or `/Date(ms)/`, and `dd/MM/yyyy` or `M/d/yyyy`.
 * Without a zone the time is read as UTC. Ambiguous day/month order follows ServiceStack: a date-only
 * `dd/MM/yyyy` with two-digit day and month is day first (`05/06/2015` is 5 June); any other form is month
 * first (`5/6/2015` is 6 May); either falls back to the other order when the first is impossible.
 */
export function jsvToDate(value: unknown): Date | undefined {
  const text = scalarText(value);
  if (text === undefined || text === "") return undefined;
  const wcf = WCF_DATE.exec(text);
  // The offset in a WCF date only names the writer's zone; the milliseconds are already UTC.
  if (wcf) return new Date(Number(wcf[1]));
  const condensed = CONDENSED.exec(text);
  if (condensed)
    return utcDate(Number(condensed[1]), Number(condensed[2]), Number(condensed[3]), [], undefined);
  const iso = YEAR_FIRST.exec(text);
  if (iso) return utcDate(Number(iso[1]), Number(iso[2]), Number(iso[3]), iso.slice(4, 8), iso[8]);
  const slashed = YEAR_LAST.exec(text);
  if (!slashed) return undefined;
  const a = Number(slashed[1]);
  const b = Number(slashed[3]);
  const year = Number(slashed[4]);
  const time = slashed.slice(5, 9);
  const zone = slashed[9];
  const dayFirst = slashed[1].length === 2 && slashed[3].length === 2 && slashed[5] === undefined;
  const [month, day] = dayFirst ? [b, a] : [a, b];
  return utcDate(year, month, day, time, zone) ?? utcDate(year, day, month, time, zone);
}
