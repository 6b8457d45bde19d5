import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { FileEncodingError } from "../encoding.js";
import { FileRejectedError, type RecordOutcome } from "../records.js";
import { detectDelimiter, readCsvRecords } from "./read-csv.js";

function* chunks(data: Buffer | string, size: number): Generator<Buffer> {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data, "utf8");
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(data: Buffer | string, size = 1 << 16, options = {}): Promise<RecordOutcome[]> {
  const out: RecordOutcome[] = [];
  for await (const outcome of readCsvRecords(Readable.from(chunks(data, size)), options)) out.push(outcome);
  return out;
}

const brief = (outcomes: RecordOutcome[]) =>
  outcomes.map((o) => (o.kind === "record" ? [o.row, o.line, o.fields] : [o.row, o.line, o.code]));

describe("readCsvRecords", () => {
  const tricky = Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from(
      ' name , city\r\n"José ""JJ"" 😀",Zürich\r\n"two\nlines","a,b"\r\n\r\n"crlf\r\ninside",x\r\nlast,row',
    ),
  ]);
  const expected = [
    [1, 2, { name: 'José "JJ" 😀', city: "Zürich" }],
    [2, 3, { name: "two\nlines", city: "a,b" }],
    [3, 6, { name: "crlf\r\ninside", city: "x" }],
    [4, 8, { name: "last", city: "row" }],
  ];

  it.each([1, 2, 3, 5, 7, 1 << 16])(
    "reads BOM, CRLF, quoted newlines and multi-byte text in %i-byte chunks",
    async (size) => {
      expect(brief(await read(tricky, size))).toEqual(expected);
    },
  );

  it("accepts strings and plain async iterables", async () => {
    const out: RecordOutcome[] = [];
    for await (const o of readCsvRecords(["a,b\n", "1,", "2\n"])) out.push(o);
    expect(brief(out)).toEqual([[1, 2, { a: "1", b: "2" }]]);
  });

  it("reports ragged rows and reads on", async () => {
    const out = await read("a,b,c\n1,2,3\n1,2\n1,2,3,4\n7,8,9\n");
    expect(brief(out)).toEqual([
      [1, 2, { a: "1", b: "2", c: "3" }],
      [2, 3, "CSV_RAGGED_ROW"],
      [3, 4, "CSV_RAGGED_ROW"],
      [4, 5, { a: "7", b: "8", c: "9" }],
    ]);
    expect(out[1]).toMatchObject({ message: "expected 3 cells as in the header, got 2" });
    // What a ragged row held, for the failed-rows file: missing cells empty, extra ones kept in order.
    expect(out[1]).toMatchObject({ source: { a: "1", b: "2", c: "" } });
    expect(out[2]).toMatchObject({ source: { a: "1", b: "2", c: "3", tributary_extra_cells: ["4"] } });
  });

  it.each([1, 1 << 16])(
    "reports an unclosed quote at the row where it opened, after earlier rows (%i-byte chunks)",
    async (size) => {
      const out = await read('a,b\n1,2\n\n"3,4\n5,6\n7,8\n', size);
      expect(brief(out)).toEqual([
        [1, 2, { a: "1", b: "2" }],
        [2, 4, "CSV_UNCLOSED_QUOTE"],
      ]);
    },
  );

  it("ends with CSV_RECORD_TOO_LARGE when a record passes the byte limit", async () => {
    const out = await read(`a,b\n1,2\n"${"x".repeat(5000)}\n3,4\n`, 1024, { maxRecordBytes: 1000 });
    expect(brief(out)).toEqual([
      [1, 2, { a: "1", b: "2" }],
      [2, 3, "CSV_RECORD_TOO_LARGE"],
    ]);
  });

  it.each([1, 1 << 16])("reports a row with Latin-1 bytes and reads on (%i-byte chunks)", async (size) => {
    const latin1 = Buffer.concat([
      Buffer.from("name,n\nAnn,1\n"),
      Buffer.from([0x4a, 0x6f, 0x73, 0xe9]),
      Buffer.from(",2\nZoë,3\n"),
    ]);
    const out = await read(latin1, size);
    expect(brief(out)).toEqual([
      [1, 2, { name: "Ann", n: "1" }],
      [2, 3, "ENCODING_INVALID_UTF8"],
      [3, 4, { name: "Zoë", n: "3" }],
    ]);
    expect(out[1]).toMatchObject({ message: expect.stringContaining("byte 16") });
  });

  it("refuses a file whose header is not UTF-8", async () => {
    const bad = Buffer.concat([Buffer.from("na"), Buffer.from([0xe9]), Buffer.from("me\nx\n")]);
    const err = await read(bad).catch((e) => e);
    expect(err).toBeInstanceOf(FileEncodingError);
    expect(err).toMatchObject({ code: "ENCODING_INVALID_UTF8", byteOffset: 2, line: 1 });
  });

  it.each([1, 64])("refuses UTF-16 (%i-byte chunks)", async (size) => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("a,b\n1,2\n", "utf16le")]);
    await expect(read(utf16, size)).rejects.toMatchObject({ code: "ENCODING_UNSUPPORTED" });
  });

  it.each([
    ["", "CSV_NO_HEADER"],
    ["\n\n", "CSV_NO_HEADER"],
    ["a,,b\n", "CSV_HEADER_EMPTY"],
    ["a, b ,b\n", "CSV_HEADER_DUPLICATE"],
    ["a,__proto__\n", "CSV_HEADER_FORBIDDEN"],
    ['"a,b\n1,2\n', "CSV_NO_HEADER"],
  ])("refuses %j with %s", async (text, code) => {
    const err = await read(text).catch((e) => e);
    expect(err).toBeInstanceOf(FileRejectedError);
    expect(err.code).toBe(code);
  });

  it("reads a header-only file as no rows", async () => {
    expect(await read("a,b\r\n")).toEqual([]);
  });

  it("handles mixed line endings, blank lines and a last line without newline", async () => {
    expect(brief(await read("a,b\n1,2\r\n\n\r\n3,4"))).toEqual([
      [1, 2, { a: "1", b: "2" }],
      [2, 5, { a: "3", b: "4" }],
    ]);
  });

  it("keeps stray quotes literally as spreadsheets do", async () => {
    expect(brief(await read('a,b\nx"y,"q"z\n'))).toEqual([[1, 2, { a: 'x"y', b: '"q"z' }]]);
  });

  it("keeps cells as strings, untrimmed", async () => {
    expect(brief(await read("a,b\n 007 ,1e3\n"))).toEqual([[1, 2, { a: " 007 ", b: "1e3" }]]);
  });

  it.each([
    ["a,b,c", ","],
    ["a;b;c", ";"],
    ["a\tb\tc", "\t"],
    ["a|b", "|"],
    ['"x;y",b', ","],
    ["single", ","],
    ["a;b,c;d\nx,y,z,w,v", ";"],
  ])("detectDelimiter(%j) is %j", (line, delimiter) => {
    expect(detectDelimiter(line)).toBe(delimiter);
  });

  it.each([1, 1 << 16])("detects the delimiter when asked (%i-byte chunks)", async (size) => {
    expect(brief(await read("a;b\n1,5;2\n", size, { delimiter: "auto" }))).toEqual([
      [1, 2, { a: "1,5", b: "2" }],
    ]);
  });

  it("maps cells to any header names, in header order, as plain objects", async () => {
    const [outcome] = await read('toString,2,hasOwnProperty,"é 😀",1\na,b,c,d,e\n');
    expect(outcome).toMatchObject({ kind: "record", fields: { toString: "a", 2: "b", hasOwnProperty: "c" } });
    const fields = (outcome as { fields: Record<string, unknown> }).fields;
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.entries(fields)).toEqual([
      ["1", "e"],
      ["2", "b"],
      ["toString", "a"],
      ["hasOwnProperty", "c"],
      ["é 😀", "d"],
    ]);
  });

  it("maps the cells of a very wide file too", async () => {
    const names = Array.from({ length: 1500 }, (_, i) => `c${i}`);
    const [outcome] = await read(`${names.join(",")}\n${names.map((_, i) => i).join(",")}\n`);
    const fields = (outcome as { fields: Record<string, unknown> }).fields;
    expect([Object.keys(fields).length, fields.c0, fields.c1499]).toEqual([1500, "0", "1499"]);
  });

  it("counts a lone CR as cell text, not as a line end", async () => {
    expect(brief(await read("a,b\nx\ry,1\nc,d\n"))).toEqual([
      [1, 2, { a: "x\ry", b: "1" }],
      [2, 3, { a: "c", b: "d" }],
    ]);
  });

  it("reads a chunk of megabytes whole: characters and quoted cells cut where it is tokenized stay whole", async () => {
    // Rows of varying length, so that over 2.5 MiB the tokenizer's 64 KiB steps fall inside every kind of
    // text: a 4-byte emoji, a 2-byte letter, a quoted cell holding a line end and a comma.
    const rows = Array.from(
      { length: 30_000 },
      (_, i) => `r${i},"😀 é ${"x".repeat(i % 97)}\r\nz, ${i}",${"ü".repeat(i % 13)}`,
    );
    const file = Buffer.from(`id,note,tail\r\n${rows.join("\r\n")}\r\n`);
    expect(file.length).toBeGreaterThan(2 << 20);
    const out = await read(file, file.length);
    expect(out).toHaveLength(30_000);
    for (const i of [0, 1, 4_999, 12_345, 29_999]) {
      expect(out[i]).toMatchObject({
        kind: "record",
        row: i + 1,
        fields: { id: `r${i}`, note: `😀 é ${"x".repeat(i % 97)}\r\nz, ${i}`, tail: "ü".repeat(i % 13) },
      });
    }
    expect(out.every((o) => o.kind === "record" && !String(o.fields.note).includes("\ufffd"))).toBe(true);
  });

  it("reads a header and rows cut across many chunks", async () => {
    const file = `h1,h2\r\n${Array.from({ length: 300 }, (_, i) => `"r${i}\r\nx",${i}`).join("\r\n")}`;
    const out = await read(file, 7);
    expect(out).toHaveLength(300);
    expect(out[299]).toEqual({
      kind: "record",
      row: 300,
      line: 600,
      fields: { h1: "r299\r\nx", h2: "299" },
      cells: ["r299\r\nx", "299"],
      header: ["h1", "h2"],
    });
    // Every row of the file shares its header array.
    expect(new Set(out.map((o) => (o.kind === "record" ? o.header : undefined))).size).toBe(1);
  });
});
