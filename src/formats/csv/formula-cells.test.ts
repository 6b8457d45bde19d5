import { describe, expect, it } from "vitest";
import { neutralizeFormula, restoreFormula } from "./formula-cells.js";
import { readCsvRecords } from "./read-csv.js";
import { csvLine } from "./write-csv.js";

describe("formula cells", () => {
  const formulas = ["=SUM(A1)", "+61 400 000 000", "-12 dB", "@handle", "\t=1", "\r=1"];
  const plain = ["", "'", "'quoted'", "'x", "plain", "''=1", "61 400", "="];

  it("neutralises what a spreadsheet would run, and restores exactly that", () => {
    for (const text of formulas) {
      expect(neutralizeFormula(text)).toBe(`'${text}`);
      expect(restoreFormula(neutralizeFormula(text))).toBe(text);
    }
    for (const text of plain.filter((t) => !/^[=+\-@\t\r]/.test(t)))
      expect(neutralizeFormula(text)).toBe(text);
  });

  it("leaves every other apostrophe alone", () => {
    expect(restoreFormula("'x")).toBe("'x");
    expect(restoreFormula("'")).toBe("'");
    expect(restoreFormula("''=1")).toBe("''=1");
    expect(restoreFormula("O'Brien")).toBe("O'Brien");
    // The one ambiguity, as in a spreadsheet: a value that itself starts with ' and a formula character
    // reads back without its apostrophe.
    expect(restoreFormula("'=")).toBe("=");
  });

  it("a CSV written with neutralised cells reads back as it was, when asked", async () => {
    const values = [...formulas, ...plain, "a,b", 'say "hi"'];
    const text = csvLine(["value"]) + values.map((v) => csvLine([v])).join("");
    const read = async (restoreFormulas: boolean) => {
      const out: unknown[] = [];
      for await (const o of readCsvRecords([text], { restoreFormulas }))
        if (o.kind === "record") out.push(o.fields.value);
      return out;
    };
    // Cells the tokenizer sees as empty lines or trims are not the point here: compare what was written.
    expect(await read(true)).toEqual(values.filter((v) => v !== ""));
    expect(await read(false)).toEqual(values.filter((v) => v !== "").map(neutralizeFormula));
  });
});
