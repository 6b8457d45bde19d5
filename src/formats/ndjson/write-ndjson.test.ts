import { describe, expect, it } from "vitest";
import { readNdjsonRecords } from "./read-ndjson.js";
import { ndjsonLine } from "./write-ndjson.js";

describe("ndjsonLine", () => {
  it("keeps a record with newlines on one line and reads back", async () => {
    const record = { name: "two\nlines\r\n", n: 1, nested: { u: "\u2028" } };
    const line = ndjsonLine(record);
    expect(line.indexOf("\n")).toBe(line.length - 1);
    const out = [];
    for await (const o of readNdjsonRecords([line, line])) out.push(o);
    expect(out).toEqual([
      { kind: "record", row: 1, line: 1, fields: record },
      { kind: "record", row: 2, line: 2, fields: record },
    ]);
  });
});
