import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateContactInput } from "../core/validate-contact.js";
import type { RecordOutcome } from "../formats/records.js";
import { FlatBatchBuilder, type FlatRows } from "../store/contacts/flat-rows.js";
import type { UpsertResult } from "../store/contacts/upsert-contacts.js";
import { ChunkBuilder, type ValidatedChunk } from "./chunk-builder.js";
import { ColumnMapper } from "./header-mapping.js";
import { type ImportShape, importShapeNamed, type ShapeContext } from "./import-shapes.js";
import { type PreparedChunk, prepareChunk } from "./shape-chunk.js";

const context: ShapeContext = {
  references: (_kind, nameOrCode) => (nameOrCode.toLowerCase() === "australia" ? 13 : undefined),
  dateFormat: "YEAR_MONTH_DAY",
  userName: () => undefined,
};
const upsertBase = { tenantId: 1, idProperty: { scheme: "external_id" }, actor: "test" };

/** A chunk with its errors in row order, as settleChunk leaves them (slices list theirs slice by slice). */
const inRowOrder = (chunk: PreparedChunk) => ({
  ...chunk,
  errors: [...chunk.errors].sort((a, b) => a.row - b.row),
});

/**
 * Rows of a CSV: good ones, reader errors, shape errors (an unknown country), invalid values (a bad email)
 * and rows without a key, spread through the chunk.
 */
function rowsOf(size: number, extra: (row: number) => Record<string, string> = () => ({})): RecordOutcome[] {
  const rows: RecordOutcome[] = [];
  for (let row = 1; row <= size; row++) {
    if (row % 7 === 0) {
      rows.push({ kind: "error", row, line: row + 1, code: "CSV_RAGGED_ROW", message: "ragged" });
      continue;
    }
    rows.push({
      kind: "record",
      row,
      line: row + 1,
      fields: {
        Key: row % 13 === 0 ? "" : `K-${row}`,
        Email: row % 3 === 0 ? "" : row % 17 === 0 ? "not an email" : `p${row}@example.org`,
        "E-mail": row % 3 === 0 ? `alt${row}@example.org` : "",
        "First Name": row % 19 === 0 ? "#N/A" : `Given ${row}`,
        ...extra(row),
      },
    });
  }
  return rows;
}

const mapping = {
  Key: "identifiers.external_id",
  Email: "email",
  "E-mail": "email",
  "First Name": "givenName",
};

/** The chunk the job took before slices: the whole chunk shaped at once, then every input validated. */
function wholeChunk(shape: ImportShape, mapper: ColumnMapper, rows: RecordOutcome[]) {
  const prepared = prepareChunk(shape, mapper, rows, context);
  const validated = prepared.inputs.map((input, index) => validateContactInput(input, index));
  return { ...prepared, validated };
}

async function built(
  shape: ImportShape,
  mapper: ColumnMapper,
  rows: RecordOutcome[],
  sliceRows: number,
  flatScheme: string | null,
): Promise<ValidatedChunk> {
  const builder = new ChunkBuilder(shape, mapper, context, { flatScheme, upsertBase });
  for (let at = 0; at < rows.length; at += sliceRows) builder.add(rows.slice(at, at + sliceRows));
  expect(builder.rowCount).toBe(rows.length);
  const chunk = await builder.take(async () => {}, 50);
  expect(builder.rowCount).toBe(0);
  return chunk;
}

describe("ChunkBuilder", () => {
  const shape = importShapeNamed("native") as ImportShape;

  it("gives the engine what the whole chunk shaped at once gives it, at any slice size", async () => {
    const rows = rowsOf(103, (row) => ({ Country: row % 11 === 0 ? "Atlantis" : "Australia" }));
    const mapper = new ColumnMapper(shape, { ...mapping, Country: "correspondenceCountryId" });
    const whole = wholeChunk(shape, mapper, rows);
    // The file feeds one field from two columns: each input says which one its row's value came from.
    expect(whole.sourceColumns?.[2]).toEqual({ email: "E-mail" });
    expect(whole.errors.length).toBeGreaterThan(0);
    for (const sliceRows of [1, 10, 50, 102, 103, 500]) {
      // A reference field is not flat: the chunk goes to the engine whatever the builder was asked.
      for (const flatScheme of [null, "external_id"]) {
        const chunk = await built(shape, mapper, rows, sliceRows, flatScheme);
        expect(chunk.flat).toBeUndefined();
        expect(inRowOrder(chunk)).toEqual(inRowOrder(whole));
      }
    }
  });

  it("keeps sourceColumns absent when no field is fed twice", async () => {
    const rows = rowsOf(20);
    const mapper = new ColumnMapper(shape, { Key: "identifiers.external_id", "First Name": "givenName" });
    const chunk = await built(shape, mapper, rows, 6, null);
    expect(chunk.sourceColumns).toBeUndefined();
    expect(inRowOrder(chunk)).toEqual(inRowOrder(wholeChunk(shape, mapper, rows)));
  });

  it("holds a flat chunk as rows, its refused inputs named by the file's own columns", async () => {
    const rows = rowsOf(60);
    const mapper = new ColumnMapper(shape, mapping);
    const chunk = await built(shape, mapper, rows, 7, "external_id");
    if (!chunk.flat) return expect.fail("every input of the chunk is flat");
    expect(chunk.inputs).toEqual([]);
    const whole = wholeChunk(shape, mapper, rows);
    expect(chunk.inputSlots).toEqual(whole.inputSlots);
    const { rows: flatRows, results } = chunk.flat;
    // Row 17's email is refused: named as the column its value came from; row 13 has no key; row 19 clears.
    const slotOf = (row: number) => rows.findIndex((r) => r.row === row);
    const inputOf = (row: number) => whole.inputSlots.findIndex((slots) => slots[0] === slotOf(row));
    expect(results[inputOf(17)]).toMatchObject({
      status: "error",
      errors: [
        {
          code: "CONTACT_EMAIL_INVALID",
          field: "Email",
          message: "email 'not an email' is not an email address",
        },
      ],
    });
    expect(results[inputOf(13)]).toMatchObject({
      status: "error",
      errors: [{ code: "CONTACT_MATCH_KEY_MISSING", field: "Key" }],
    });
    const valid = whole.validated.flatMap((errors, index) =>
      errors.length === 0 && whole.inputs[index].identifiers ? [index] : [],
    );
    expect(flatRows.inputs).toEqual(valid);
    expect(flatRows.keys).toEqual(valid.map((index) => whole.inputs[index].identifiers?.external_id));
    expect(flatRows.fields.map((f) => f.name).sort()).toEqual(["email", "givenName"]);
    const cleared = flatRows.inputs.indexOf(inputOf(19));
    expect(flatRows.cleared[cleared]).toBe(
      flatRows.fields.map((f) => (f.name === "givenName" ? "1" : "0")).join(""),
    );
  });

  it("turns a flat chunk's earlier rows back into inputs when a later input is not flat", async () => {
    const rows = rowsOf(40, (row) => (row === 33 ? { Tags: "alumni;donor" } : { Tags: "" }));
    const mapper = new ColumnMapper(shape, { ...mapping, Tags: "tags" });
    const whole = wholeChunk(shape, mapper, rows);
    for (const sliceRows of [1, 5, 40]) {
      const chunk = await built(shape, mapper, rows, sliceRows, "external_id");
      expect(chunk.flat).toBeUndefined();
      expect(inRowOrder(chunk)).toEqual(inRowOrder(whole));
    }
  });

  it("hands a grouping shape the whole chunk at once", async () => {
    const hobsons = importShapeNamed("hobsons") as ImportShape;
    const rows: RecordOutcome[] = [1, 2, 3].map((row) => ({
      kind: "record",
      row,
      line: row + 1,
      fields: { email: "s1@example.org", note: `row ${row}` },
    }));
    const mapper = new ColumnMapper(hobsons, null);
    const chunk = await built(hobsons, mapper, rows, 1, null);
    expect(chunk).toEqual(wholeChunk(hobsons, mapper, rows));
  });
});

describe("ChunkBuilder's encoder for native text columns", () => {
  const shape = importShapeNamed("native") as ImportShape;
  const header = ["External Id", "First Name", "email", "Company", "Notes", "Ignored"];
  const mapper = () =>
    new ColumnMapper(shape, {
      "External Id": "identifiers.external_id",
      "First Name": "givenName",
      email: "email",
      Company: "company",
      Notes: "remarks",
    });
  // Cells that take every branch: empty, #N/A, too long, an email with spaces or none, NUL, lone and paired
  // surrogates, what COPY escapes, keys with spaces or none.
  const cell = fc.constantFrom(
    "",
    " ",
    "#N/A",
    " #N/A",
    "Ada",
    " Ada ",
    "x".repeat(121),
    "y".repeat(10_001),
    "ada@example.org",
    " ada@example.org ",
    "not an email",
    "nul\u0000here",
    "lone\ud800",
    "pair😀",
    "tab\tline\nback\\slash\r",
    "\\N",
  );
  const key = fc.constantFrom("", " ", "K1", " K2 ", "K3", "k".repeat(201), "bad\u0000key");
  const records = fc.array(fc.tuple(key, cell, cell, cell, cell, cell), { minLength: 1, maxLength: 40 });

  it("gives the rows and results the general path gives, for any cells", async () => {
    await fc.assert(
      fc.asyncProperty(
        records,
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        async (cells, sliceRows, csv) => {
          // A CSV row also comes by position (its cells and the file's header), which the encoder reads.
          const rows: RecordOutcome[] = cells.map((values, i) => ({
            kind: "record",
            row: i + 1,
            line: i + 2,
            fields: Object.fromEntries(header.map((name, c) => [name, values[c]])),
            ...(csv ? { cells: values, header } : {}),
          }));
          const chunk = await built(shape, mapper(), rows, sliceRows, "external_id");
          // The general path: the whole chunk shaped and validated, then added input by input.
          const whole = wholeChunk(shape, mapper(), rows);
          const expected = new FlatBatchBuilder("external_id");
          for (const [index, input] of whole.inputs.entries()) expected.add(input, whole.validated[index]);
          const path = (_index: number, field: string) => field;
          if (!chunk.flat) return expect.fail("every input is flat");
          expect(chunk.inputSlots).toEqual(whole.inputSlots);
          expect(inRowOrder(chunk).errors).toEqual(inRowOrder(whole).errors);
          const results = (r: UpsertResult[]) =>
            r.map(({ status, errors }) => ({ status, codes: errors.map((e) => e.code) }));
          expect(results(chunk.flat.results)).toEqual(results(expected.finish(path).results));
          // Rows may list their fields in another order (the encoder's is the header's): compared as inputs.
          const asInputs = (rows: FlatRows) => {
            const builder = new FlatBatchBuilder("external_id");
            for (let i = 0; i < rows.keys.length; i++)
              builder.addEncoded(rows.keys[i], rows.fields, rows.lines[i], rows.cleared[i]);
            return builder.toInputs().inputs;
          };
          expect(asInputs(chunk.flat.rows)).toEqual(asInputs(expected.finish(path).rows));
          expect(chunk.flat.rows.inputs).toEqual(expected.finish(path).rows.inputs);
        },
      ),
      { numRuns: 300 },
    );
  });
});
