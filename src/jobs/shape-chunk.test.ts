import { describe, expect, it } from "vitest";
import type { RecordOutcome } from "../formats/records.js";
import { ColumnMapper } from "./header-mapping.js";
import { importShapeNamed, type ShapeContext } from "./import-shapes.js";
import { type PreparedChunk, prepareChunk, prepareChunkInSlices } from "./shape-chunk.js";

/** A prepared chunk with its errors in row order, as settleChunk leaves them (slices list theirs slice by slice). */
const inRowOrder = (prepared: PreparedChunk) => ({
  ...prepared,
  errors: [...prepared.errors].sort((a, b) => a.row - b.row),
});

const context: ShapeContext = {
  references: (_kind, nameOrCode) => (nameOrCode.toLowerCase() === "australia" ? 13 : undefined),
  userName: () => undefined,
};

/** Rows of a CSV: good ones, reader errors and shape errors (an unknown country) spread through the chunk. */
function chunkOf(size: number): RecordOutcome[] {
  const chunk: RecordOutcome[] = [];
  for (let row = 1; row <= size; row++) {
    if (row % 7 === 0) {
      chunk.push({ kind: "error", row, line: row + 1, code: "CSV_RAGGED_ROW", message: "ragged" });
      continue;
    }
    chunk.push({
      kind: "record",
      row,
      line: row + 1,
      fields: {
        Email: row % 3 === 0 ? "" : `p${row}@example.org`,
        "E-mail": row % 3 === 0 ? `alt${row}@example.org` : "",
        "First Name": `Given ${row}`,
        Country: row % 11 === 0 ? "Atlantis" : "Australia",
      },
    });
  }
  return chunk;
}

describe("prepareChunkInSlices", () => {
  const shape = importShapeNamed("native");
  if (!shape) throw new Error("no native shape");

  it("gives what prepareChunk gives for the whole chunk, errors in row order, at any slice size", async () => {
    const chunk = chunkOf(103);
    const mapper = new ColumnMapper(shape, {
      Email: "email",
      "E-mail": "email",
      "First Name": "givenName",
      Country: "correspondenceCountryId",
    });
    const whole = prepareChunk(shape, mapper, chunk, context);
    // The file feeds one field from two columns: each input says which one its row's value came from.
    expect(whole.sourceColumns?.[2]).toEqual({ email: "E-mail" });
    expect(whole.errors.length).toBeGreaterThan(0);
    for (const sliceRows of [1, 10, 50, 102, 103, 500]) {
      let turns = 0;
      const sliced = await prepareChunkInSlices(shape, mapper, chunk, context, sliceRows, async () => {
        turns++;
      });
      expect(inRowOrder(sliced)).toEqual(inRowOrder(whole));
      expect(turns).toBe(sliceRows >= chunk.length ? 0 : Math.ceil(chunk.length / sliceRows));
    }
  });

  it("keeps sourceColumns absent when no field is fed twice", async () => {
    const chunk = chunkOf(20);
    const mapper = new ColumnMapper(shape, { Email: "email", "First Name": "givenName" });
    const sliced = await prepareChunkInSlices(shape, mapper, chunk, context, 6, async () => {});
    expect(sliced.sourceColumns).toBeUndefined();
    expect(inRowOrder(sliced)).toEqual(inRowOrder(prepareChunk(shape, mapper, chunk, context)));
  });

  it("hands a grouping shape the whole chunk at once", async () => {
    const hobsons = importShapeNamed("hobsons");
    if (!hobsons?.shapeChunk) return expect.fail("the hobsons shape groups rows");
    const chunk: RecordOutcome[] = [1, 2, 3].map((row) => ({
      kind: "record",
      row,
      line: row + 1,
      fields: { email: "s1@example.org", note: `row ${row}` },
    }));
    const mapper = new ColumnMapper(hobsons, null);
    let turns = 0;
    const sliced = await prepareChunkInSlices(hobsons, mapper, chunk, context, 1, async () => {
      turns++;
    });
    expect(turns).toBe(0);
    expect(sliced).toEqual(prepareChunk(hobsons, mapper, chunk, context));
  });
});
