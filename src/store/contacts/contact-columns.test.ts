import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../../test/helpers/test-store.js";
import type { ScalarValue } from "../../core/contact.js";
import type { ContactFieldSpec } from "../../core/contact-fields.js";
import { arrayParameter, columnarRecordset } from "./contact-columns.js";

const field = (name: string, type: ContactFieldSpec["type"]) =>
  ({ name, column: name, type }) as ContactFieldSpec;
const text = field("note", "text");
const flag = field("flag", "boolean");
const born = field("born", "date");
const seen = field("seen", "timestamp");
const owner = field("owner", "reference");

describe.each(testEngines)("columnarRecordset on %s", (engine) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(engine, "columns");
  });
  afterAll(() => store.dispose());

  const read = async (rows: Array<Record<string, ScalarValue | undefined>>, fields: ContactFieldSpec[]) => {
    const ids = rows.map((_, i) => i + 1);
    const columns = fields.map((f) => `t."${f.name}"${f.type === "timestamp" ? " at time zone 'UTC'" : ""}`);
    const result = await sql<Record<string, unknown>>`
      select t.id, ${sql.raw(columns.map((c, i) => `(${c})::text as "${fields[i].name}"`).join(", ") || "1 as one")}
      from ${columnarRecordset(ids, rows, fields)} order by t.id`.execute(store.db);
    return result.rows.map(({ one: _, ...row }) => row);
  };

  it("keeps order, nulls and every type", async () => {
    const rows = [
      { note: "Ada", flag: true, born: "1815-12-10", seen: "2026-12-01T10:00:00.000Z", owner: 7 },
      { note: null, flag: false, born: null, seen: null, owner: null },
      { note: "", flag: undefined, born: "2000-02-29", seen: "2026-01-01T00:00:00.000Z", owner: 12 },
    ];
    expect(await read(rows, [text, flag, born, seen, owner])).toEqual([
      { id: 1, note: "Ada", flag: "true", born: "1815-12-10", seen: "2026-12-01 10:00:00", owner: "7" },
      { id: 2, note: null, flag: "false", born: null, seen: null, owner: null },
      { id: 3, note: "", flag: null, born: "2000-02-29", seen: "2026-01-01 00:00:00", owner: "12" },
    ]);
  });

  it("round-trips text holding the separators, the null marker or quotes", async () => {
    const awkward = [
      "a\x1fb",
      "\x1e",
      "\x1e\x1e",
      '"quoted", {braces}',
      "back\\slash",
      "tab\tand\nnewline",
      "ü 漢字 😀",
    ];
    const rows = awkward.map((note) => ({ note }));
    expect((await read(rows, [text])).map((r) => r.note)).toEqual(awkward);
    // A column without them in the same batch still takes the split path and stays right.
    const mixed = await read(
      awkward.map((note, i) => ({ note, other: `row ${i}` })),
      [text, field("other", "text")],
    );
    expect(mixed.map((r) => r.other)).toEqual(awkward.map((_, i) => `row ${i}`));
  });

  it("a one-row batch keeps an empty string as an empty string, and null as null", async () => {
    expect(await read([{ note: "" }], [text])).toEqual([{ id: 1, note: "" }]);
    expect(await read([{ note: null }], [text])).toEqual([{ id: 1, note: null }]);
  });

  it("round-trips columns far longer than a page, with characters of every UTF-8 length", async () => {
    // Long texts travel to PGlite as UTF-8 bytes in binary format (database.ts); short ones as strings.
    const cells = Array.from({ length: 600 }, (_, i) => ({ note: `${i} é ü 漢字 😀 ${"x".repeat(i % 7)}` }));
    expect((await read(cells, [text])).map((r) => r.note)).toEqual(cells.map((c) => c.note));
  });

  it("ids alone when no field is written", async () => {
    expect(await read([{}, {}], [])).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

describe.each(testEngines)("arrayParameter on %s", (engine) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(engine, "arrays");
  });
  afterAll(() => store.dispose());

  const roundTrip = async (values: Array<string | number | null>, type: "text" | "bigint") => {
    const result = await sql<{ v: string | null; n: number }>`
      select v::text as v, n::int as n from unnest(${arrayParameter(values, type)}) with ordinality as u(v, n) order by n`.execute(
      store.db,
    );
    return result.rows.map((r) => r.v);
  };

  it("gives back a long plain text parameter, character for character", async () => {
    const long = `${"Añø 漢 😀 ".repeat(2000)}end`;
    const result = await sql<{
      v: string;
      n: number;
    }>`select ${long}::text as v, length(${long}::text)::int as n`.execute(store.db);
    expect(result.rows[0]).toEqual({ v: long, n: [...long].length });
  });

  it.each([
    {
      label: "plain text and nulls",
      values: ["a", null, "", "b c", 'q"uote', "back\\slash", "{brace},"],
      type: "text",
    },
    { label: "the separator and the null marker", values: ["a\u001fb", "\u001e", "x"], type: "text" },
    { label: "one empty string", values: [""], type: "text" },
    { label: "no value at all", values: [], type: "text" },
    { label: "ids", values: [1, 2, 9007199254740991, null], type: "bigint" },
  ] as const)("gives back $label as sent", async ({ values, type }) => {
    const expected = values.map((v) => (v === null ? null : String(v)));
    expect(await roundTrip([...values], type)).toEqual(expected);
  });
});
