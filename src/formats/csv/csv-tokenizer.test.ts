import { describe, expect, it } from "vitest";
import { type CsvRecord, type CsvStop, CsvTokenizer, type CsvTokenizerOptions } from "./csv-tokenizer.js";

function tokenize(
  chunks: Iterable<Uint8Array>,
  options: Partial<CsvTokenizerOptions> = {},
): { records: CsvRecord[]; stopped: CsvStop | null } {
  const tokenizer = new CsvTokenizer({ delimiter: ",", maxRecordBytes: 1 << 20, ...options });
  const records: CsvRecord[] = [];
  for (const chunk of chunks) tokenizer.push(chunk, records);
  tokenizer.end(records);
  return { records, stopped: tokenizer.stopped };
}

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

/** The input cut at the given byte positions. */
function cut(data: Buffer, ...at: number[]): Buffer[] {
  const points = [0, ...at, data.length];
  return points.slice(1).map((end, i) => data.subarray(points[i], end));
}

const brief = ({ records, stopped }: ReturnType<typeof tokenize>) => ({
  records: records.map((r) => [r.line, r.cells, r.invalidByte]),
  stopped,
});

describe("CsvTokenizer", () => {
  // BOM, 2- and 4-byte characters, "" escapes, quoted delimiter, CRLF and LF in quotes, CR LF at a line end,
  // blank lines of both kinds, a reopened quote, a lone CR and a last line without a line end.
  const small = bytes([0xef, 0xbb, 0xbf], 'a,b\r\n"Jo ""é""",😀\n"x,\r\ny",\n\r\n\n"q"z,c\rd\r\nlast,"€"');
  const expected = {
    records: [
      [1, ["a", "b"], -1],
      [2, ['Jo "é"', "😀"], -1],
      [3, ["x,\r\ny", ""], -1],
      [7, ['"q"z', "c\rd"], -1],
      [8, ["last", "€"], -1],
    ],
    stopped: null,
  };

  it("reads a small file with every kind of edge in one chunk", () => {
    expect(brief(tokenize([small]))).toEqual(expected);
  });

  it('reads it the same cut at every position, including inside characters, "" and CR LF', () => {
    for (let p = 0; p <= small.length; p++) expect(brief(tokenize(cut(small, p)))).toEqual(expected);
  });

  it("reads it the same cut at every pair of positions and in 1-byte chunks", () => {
    for (let p = 0; p <= small.length; p++) {
      for (let q = p; q <= small.length; q++) expect(brief(tokenize(cut(small, p, q)))).toEqual(expected);
    }
    const ones = Array.from(small, (b) => Buffer.from([b]));
    expect(brief(tokenize(ones))).toEqual(expected);
  });

  // What csv-parse 7 gives with relax_quotes, checked when it was replaced.
  it.each([
    ['"q"z,x', ['"q"z', "x"]],
    ['"a""b"c,x', ['"a"b"c', "x"]],
    ['""x,""', ['""x', ""]],
    ['x"y,z"', ['x"y', 'z"']],
    [' "a,b"', [' "a', 'b"']],
    ['"x"y"z', ['"x"y"z']],
    ['"x"""', ['x"']],
    ['"a" "b",c', ['"a" "b"', "c"]],
    ['1,"2"\r', ["1", '"2"\r']],
    ["1,2\r", ["1", "2\r"]],
    [",", ["", ""]],
    ['""', [""]],
  ])("reads %j as %j", (text, cells) => {
    expect(tokenize([bytes(text)]).records.map((r) => r.cells)).toEqual([cells]);
  });

  it("counts lines at LF and CRLF, inside quotes too, but not at a lone CR", () => {
    const { records } = tokenize([bytes('a\r\n"b\nc"\n"d\r\ne"\n\r\n\nf\rg\nh')]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 4, 8, 9]);
  });

  it("skips blank lines but keeps a line holding only a quoted empty cell or a delimiter", () => {
    const { records } = tokenize([bytes('\n\r\n""\n,\n\n')]);
    expect(records.map((r) => [r.line, r.cells])).toEqual([
      [3, [""]],
      [4, ["", ""]],
    ]);
  });

  it("drops a BOM only at the start", () => {
    expect(tokenize([bytes("\ufeffa,\ufeffb")]).records[0].cells).toEqual(["a", "\ufeffb"]);
  });

  it("honours the delimiter and takes the others as text", () => {
    const { records } = tokenize([bytes('a;"b;c";d\te|f,g')], { delimiter: ";" });
    expect(records[0].cells).toEqual(["a", "b;c", "d\te|f,g"]);
    expect(tokenize([bytes("a\tb,c")], { delimiter: "\t" }).records[0].cells).toEqual(["a", "b,c"]);
  });

  describe("bytes that are not UTF-8", () => {
    // "Jos\xe9" (Latin-1) in a quoted cell spanning lines 2 to 4; the records around it are fine.
    const data = bytes('h,n\n"x\nJos', [0xe9], '\ny",1\nZoë,2\n');
    const expectedRecords = [
      [1, ["h", "n"], -1],
      [2, expect.any(Array), 10],
      [5, ["Zoë", "2"], -1],
    ];

    it.each([...Array(data.length + 1).keys()])(
      "marks the record holding them with the first one's offset, cut at %i",
      (p) => {
        expect(brief(tokenize(cut(data, p)))).toEqual({ records: expectedRecords, stopped: null });
      },
    );

    it("reports the first bad byte of a record and each record's own", () => {
      const { records } = tokenize([bytes("a", [0x80, 0xff], "b\nc\nd", [0xc3], "\n")]);
      expect(records.map((r) => r.invalidByte)).toEqual([1, -1, 8]);
    });

    it("takes a sequence cut by the chunk end as one character when the next chunk completes it", () => {
      expect(tokenize([bytes("x", [0xe2, 0x82]), bytes([0xac], ",y")]).records).toEqual([
        { cells: ["x€", "y"], line: 1, invalidByte: -1 },
      ]);
      expect(tokenize([bytes("x", [0xe2, 0x82]), bytes(",y")]).records[0].invalidByte).toBe(1);
    });

    it("reports a character cut off by the end of the input at its first byte", () => {
      expect(tokenize([bytes("a,b\nc", [0xf0, 0x9f, 0x98])]).records[1].invalidByte).toBe(5);
    });
  });

  describe("stopping", () => {
    it("stops at an unclosed quote with the line of its record, after the records before it", () => {
      expect(brief(tokenize([bytes('a\n\n"b\nc\n')]))).toEqual({
        records: [[1, ["a"], -1]],
        stopped: { reason: "unclosed-quote", line: 3 },
      });
    });

    it('stops at a quote left open by a last "" pair', () => {
      expect(tokenize([bytes('"x""')]).stopped).toEqual({ reason: "unclosed-quote", line: 1 });
    });

    // csv-parse checks before appending each byte, so a record may hold maxRecordBytes + 1 bytes.
    it.each([
      ["abcde", null],
      ["abcdef", 1],
      ["ab,cde", null],
      ["ab,cdef", 1],
      ['"a\nbcdef"', 2],
      ["éé", null],
      ["ééé", 1],
    ])("measures %j against a limit of 4 as csv-parse did", (text, limitLine) => {
      const { stopped } = tokenize([bytes(`${text}\nok`)], { maxRecordBytes: 4 });
      expect(stopped).toEqual(limitLine === null ? null : { reason: "too-large", line: 1, limitLine });
    });

    it("stops an unclosed quote in a long input without holding more than about twice the limit", () => {
      const tokenizer = new CsvTokenizer({ delimiter: ",", maxRecordBytes: 64 * 1024 });
      const records: CsvRecord[] = [];
      tokenizer.push(bytes('a,b\n1,2\n"3,4\n'), records);
      let pushed = 0;
      while (tokenizer.stopped === null && pushed < 100 << 20) {
        tokenizer.push(bytes("5,6\n".repeat(256)), records);
        pushed += 1024;
      }
      expect(tokenizer.stopped).toEqual({ reason: "too-large", line: 3, limitLine: 16387 });
      expect(pushed).toBeLessThan(3 * 64 * 1024);
      expect(records.map((r) => r.cells)).toEqual([
        ["a", "b"],
        ["1", "2"],
      ]);
    });

    it("ignores input after stopping", () => {
      const tokenizer = new CsvTokenizer({ delimiter: ",", maxRecordBytes: 3 });
      const records: CsvRecord[] = [];
      tokenizer.push(bytes("abcdef\n"), records);
      tokenizer.push(bytes("x\n"), records);
      tokenizer.end(records);
      expect(records).toEqual([]);
      expect(tokenizer.stopped).toMatchObject({ reason: "too-large" });
    });

    it("has no limit when maxRecordBytes is 0", () => {
      const { records, stopped } = tokenize([bytes(`${"x".repeat(100_000)}\n`)], { maxRecordBytes: 0 });
      expect([records[0].cells[0].length, stopped]).toEqual([100_000, null]);
    });
  });

  it.each(["", ";;", '"', "\n", "\r"])("refuses the delimiter %j", (delimiter) => {
    expect(() => new CsvTokenizer({ delimiter, maxRecordBytes: 0 })).toThrow(TypeError);
  });
});
