import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsvToBoolean, jsvToDate, jsvToNumber, parseJsv } from "./parse.js";
import { stringifyJsv } from "./stringify.js";

const SPECIAL = ['"', ":", ",", "{", "}", "[", "]", "\r", "\n", " ", "\t", "a", "Z", "é", "😀", "\u2028"];
const specialString = fc.string({ unit: fc.constantFrom(...SPECIAL), maxLength: 12 });
const anyString = fc.oneof(specialString, fc.string({ unit: "binary", maxLength: 12 }));
// Any string makes a key, even one that is only spaces; `__proto__` has its own tests in parse.test.ts.
const key = anyString.filter((k) => k !== "__proto__");

const scalar = fc.oneof(
  anyString,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
);

// JSON-like values; null only as a map value, which the writer drops (JSV has no null).
const { value } = fc.letrec<{ value: unknown; list: unknown[]; map: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ depthSize: "small" }, scalar, tie("list"), tie("map")),
  list: fc.array(tie("value"), { maxLength: 5 }),
  map: fc.array(fc.tuple(key, fc.oneof(tie("value"), fc.constant(null))), { maxLength: 5 }).map((entries) => {
    const map: Record<string, unknown> = {};
    for (const [k, v] of entries) map[k] = v;
    return map;
  }),
}));

/** What parseJsv gives back for a value: every scalar as its JSV text, null map entries gone. */
function untyped(input: unknown): unknown {
  if (typeof input === "boolean") return input ? "True" : "False";
  if (typeof input === "number") return String(input);
  if (Array.isArray(input)) return input.map(untyped);
  if (typeof input === "object" && input !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input)) if (v !== null) out[k] = untyped(v);
    return out;
  }
  return input;
}

describe("stringifyJsv → parseJsv round trip", () => {
  it("gives back any JSON-like value, scalars as strings", () => {
    fc.assert(
      fc.property(value, (input) => {
        expect(parseJsv(stringifyJsv(input))).toEqual(untyped(input));
      }),
      { numRuns: 2000 },
    );
  });

  it("gives back strings made of every special character exactly, alone, in lists and in maps", () => {
    fc.assert(
      fc.property(anyString, (text) => {
        expect(parseJsv(stringifyJsv(text))).toBe(text);
        expect(parseJsv(stringifyJsv([text, text]))).toEqual([text, text]);
        expect(parseJsv(stringifyJsv({ [text]: text }))).toEqual({ [text]: text });
      }),
      { numRuns: 3000 },
    );
  });

  it("gives back numbers, booleans and dates through the typed helpers", () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.date({
          min: new Date("0001-01-01T00:00:00Z"),
          max: new Date("9999-12-31T23:59:59Z"),
          noInvalidDate: true,
        }),
        (number, flag, date) => {
          const map = parseJsv(stringifyJsv({ number, flag, date })) as Record<string, string>;
          expect(jsvToNumber(map.number)).toBe(number === 0 ? 0 : number);
          expect(jsvToBoolean(map.flag)).toBe(flag);
          expect(jsvToDate(map.date)?.getTime()).toBe(date.getTime());
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("never hangs or throws anything but JsvSyntaxError on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...SPECIAL), maxLength: 40 }), (text) => {
        try {
          parseJsv(text);
        } catch (error) {
          expect((error as Error).name).toBe("JsvSyntaxError");
        }
      }),
      { numRuns: 3000 },
    );
  });
});
