import { describe, expect, it } from "vitest";
import type { RecordOutcome } from "../records.js";
import { readNdjsonRecords } from "./read-ndjson.js";

function* chunks(data: Buffer | string, size: number): Generator<Buffer> {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data, "utf8");
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(data: Buffer | string, size = 1 << 16, options = {}): Promise<RecordOutcome[]> {
  const out: RecordOutcome[] = [];
  for await (const outcome of readNdjsonRecords(chunks(data, size), options)) out.push(outcome);
  return out;
}

const brief = (outcomes: RecordOutcome[]) =>
  outcomes.map((o) => (o.kind === "record" ? [o.row, o.line, o.fields] : [o.row, o.line, o.code]));

describe("readNdjsonRecords", () => {
  const text = '\ufeff{"name":"José 😀"}\r\n\r\n   \n{"a":[1,{"b":"}"}]}\n{"last":true}';

  it.each([1, 2, 3, 1 << 16])(
    "reads BOM, CRLF, blank lines and a last line without newline (%i-byte chunks)",
    async (size) => {
      expect(brief(await read(text, size))).toEqual([
        [1, 1, { name: "José 😀" }],
        [2, 4, { a: [1, { b: "}" }] }],
        [3, 5, { last: true }],
      ]);
    },
  );

  it.each([
    ['{"a":1', "NDJSON_INVALID_LINE"],
    ["[1,2]", "NDJSON_NOT_OBJECT"],
    ["42", "NDJSON_NOT_OBJECT"],
    ["null", "NDJSON_NOT_OBJECT"],
    ['{"__proto__":{"admin":true}}', "NDJSON_FORBIDDEN_KEY"],
    ['{"a":{"constructor":{"prototype":1}}}', "NDJSON_FORBIDDEN_KEY"],
    ['{"a":[{"prototype":1}]}', "NDJSON_FORBIDDEN_KEY"],
    ['{"\\u005f_proto__":1}', "NDJSON_FORBIDDEN_KEY"],
  ])("reports %s as %s and reads on", async (line, code) => {
    const out = await read(`{"ok":1}\n${line}\n{"ok":2}\n`);
    expect(brief(out)).toEqual([
      [1, 1, { ok: 1 }],
      [2, 2, code],
      [3, 3, { ok: 2 }],
    ]);
    // The line's text, for the failed-rows file.
    expect(out[1]).toMatchObject({ source: line });
  });

  it("gives JSON.parse's reason for a broken line", async () => {
    const [outcome] = await read("{broken}\n");
    expect(outcome).toMatchObject({ kind: "error", message: expect.stringMatching(/JSON/) });
  });

  it.each([1, 1 << 16])("reports a line with Latin-1 bytes (%i-byte chunks)", async (size) => {
    const bytes = Buffer.concat([
      Buffer.from('{"n":"Jos'),
      Buffer.from([0xe9]),
      Buffer.from('"}\n{"n":"Zoë"}\n'),
    ]);
    expect(brief(await read(bytes, size))).toEqual([
      [1, 1, "ENCODING_INVALID_UTF8"],
      [2, 2, { n: "Zoë" }],
    ]);
  });

  it.each([1, 7, 1 << 16])("reports an over-long line without holding it (%i-byte chunks)", async (size) => {
    const long = `{"x":"${"y".repeat(100)}"}`;
    const out = await read(`{"a":1}\n${long}\n${long}`, size, { maxLineBytes: 50 });
    expect(brief(out)).toEqual([
      [1, 1, { a: 1 }],
      [2, 2, "NDJSON_LINE_TOO_LONG"],
      [3, 3, "NDJSON_LINE_TOO_LONG"],
    ]);
  });

  it("refuses UTF-16", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"a":1}\n', "utf16le")]);
    await expect(read(utf16)).rejects.toMatchObject({ code: "ENCODING_UNSUPPORTED" });
  });

  it("reads nothing from an empty input", async () => {
    expect(await read("")).toEqual([]);
  });
});
