import { describe, expect, it } from "vitest";
import { FileRejectedError, type RecordOutcome } from "../records.js";
import { readJsonArrayRecords } from "./read-json-array.js";

function* chunks(data: Buffer | string, size: number): Generator<Buffer> {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data, "utf8");
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(data: Buffer | string, size = 1 << 16, options = {}): Promise<RecordOutcome[]> {
  const out: RecordOutcome[] = [];
  for await (const outcome of readJsonArrayRecords(chunks(data, size), options)) out.push(outcome);
  return out;
}

const brief = (outcomes: RecordOutcome[]) =>
  outcomes.map((o) => (o.kind === "record" ? [o.row, o.line, o.fields] : [o.row, o.line, o.code]));

describe("readJsonArrayRecords", () => {
  const text =
    '\ufeff [\n  {"s": "a]b}c,d", "q": "say \\"hi\\" \\\\", "n": {"x": [1, {"y": "]"}]}},\n' +
    '  {"name": "José 😀"}\n]\n';

  it.each([1, 2, 3, 5, 1 << 16])("yields one record per element in %i-byte chunks", async (size) => {
    expect(brief(await read(text, size))).toEqual([
      [1, 2, { s: "a]b}c,d", q: 'say "hi" \\', n: { x: [1, { y: "]" }] } }],
      [2, 3, { name: "José 😀" }],
    ]);
  });

  it.each([["[]"], [" [ ] "], ["[\n]\n"]])("reads %j as no rows", async (input) => {
    expect(await read(input)).toEqual([]);
  });

  it.each([
    [
      '[{"a":1},{"a":,},{"a":2}]',
      [
        [1, 1, { a: 1 }],
        [2, 1, "JSON_INVALID"],
        [3, 1, { a: 2 }],
      ],
    ],
    [
      '[{"a":1},,{"a":2}]',
      [
        [1, 1, { a: 1 }],
        [2, 1, "JSON_INVALID"],
        [3, 1, { a: 2 }],
      ],
    ],
    [
      '[{"a":1},]',
      [
        [1, 1, { a: 1 }],
        [2, 1, "JSON_INVALID"],
      ],
    ],
    [
      '[1,"x",[],null]',
      [
        [1, 1, "JSON_NOT_OBJECT"],
        [2, 1, "JSON_NOT_OBJECT"],
        [3, 1, "JSON_NOT_OBJECT"],
        [4, 1, "JSON_NOT_OBJECT"],
      ],
    ],
    [
      '[{"__proto__":{}},{"ok":1}]',
      [
        [1, 1, "JSON_FORBIDDEN_KEY"],
        [2, 1, { ok: 1 }],
      ],
    ],
    [
      '[{"a":1},{"b":',
      [
        [1, 1, { a: 1 }],
        [2, 1, "JSON_ARRAY_UNCLOSED"],
      ],
    ],
    ['[{"a":1}', [[1, 1, "JSON_ARRAY_UNCLOSED"]]],
    [
      '[{"a":1}] x',
      [
        [1, 1, { a: 1 }],
        [2, 1, "JSON_INVALID"],
      ],
    ],
  ])("reads %s element by element", async (input, expected) => {
    expect(brief(await read(input))).toEqual(expected);
    expect(brief(await read(input, 1))).toEqual(expected);
  });

  it("reports an element with Latin-1 bytes", async () => {
    const bytes = Buffer.concat([
      Buffer.from('[{"n":"Jos'),
      Buffer.from([0xe9]),
      Buffer.from('"},{"n":"Zoë"}]'),
    ]);
    expect(brief(await read(bytes, 1))).toEqual([
      [1, 1, "ENCODING_INVALID_UTF8"],
      [2, 1, { n: "Zoë" }],
    ]);
  });

  it("reports an over-large element without holding it", async () => {
    const big = `{"x":"${"y".repeat(200)}"}`;
    expect(brief(await read(`[${big},{"a":1}]`, 16, { maxElementBytes: 100 }))).toEqual([
      [1, 1, "JSON_ELEMENT_TOO_LARGE"],
      [2, 1, { a: 1 }],
    ]);
  });

  it.each([[""], ['{"a":1}'], ["  42"], ["\n\n{"]])("refuses %j: not an array", async (input) => {
    const err = await read(input).catch((e) => e);
    expect(err).toBeInstanceOf(FileRejectedError);
    expect(err.code).toBe("JSON_NOT_ARRAY");
  });

  it("refuses UTF-16", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("[]", "utf16le")]);
    await expect(read(utf16)).rejects.toMatchObject({ code: "ENCODING_UNSUPPORTED" });
  });
});
