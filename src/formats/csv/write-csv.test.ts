import { describe, expect, it } from "vitest";
import type { RecordOutcome } from "../records.js";
import { readCsvRecords } from "./read-csv.js";
import { csvCell, csvLine, writeCsv } from "./write-csv.js";

describe("csvCell", () => {
  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\rhere", '"cr\rhere"'],
    [" padded", '" padded"'],
    ["padded ", '"padded "'],
    ["", ""],
    [null, ""],
    [undefined, ""],
    [-12.5, "-12.5"],
    [0, "0"],
    [true, "true"],
    [new Date("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05.000Z"],
    [{ a: "b,c" }, '"{""a"":""b,c""}"'],
    ["=SUM(A1:A9)", "'=SUM(A1:A9)"],
    ["+61 2 9999 0000", "'+61 2 9999 0000"],
    ["-12.5", "'-12.5"],
    ["@cmd", "'@cmd"],
    ["\t=1", "'\t=1"],
    ["\r=1", '"\'\r=1"'],
    ['=HYPERLINK("x","y")', '"\'=HYPERLINK(""x"",""y"")"'],
    ["a=b", "a=b"],
  ])("csvCell(%j) is %s", (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it("writes bigints as digits", () => {
    expect(csvCell(-12n)).toBe("-12");
  });

  it("leaves formulas alone when asked", () => {
    expect(csvCell("=1+1", { neutralizeFormulas: false })).toBe("=1+1");
  });
});

describe("csvLine", () => {
  it("joins cells and ends with CRLF", () => {
    expect(csvLine(["a", 1, null, "x,y"])).toBe('a,1,,"x,y"\r\n');
  });
});

describe("writeCsv", () => {
  it("round-trips through readCsvRecords", async () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({
      id: String(i),
      name: i % 2 ? `José "${i}"\nline two` : ` padded ${i} `,
      note: "a,b;c",
    }));
    const text = [];
    for await (const part of writeCsv(["id", "name", "note"], records, { bom: true })) text.push(part);
    expect(text.length).toBeGreaterThan(1);
    const out: RecordOutcome[] = [];
    for await (const o of readCsvRecords(text)) out.push(o);
    expect(out.map((o) => (o.kind === "record" ? o.fields : o))).toEqual(records);
  });

  it("writes missing fields as empty cells", async () => {
    const text = [];
    for await (const part of writeCsv(["a", "b"], [{ a: 1 }])) text.push(part);
    expect(text.join("")).toBe("a,b\r\n1,\r\n");
  });
});
