import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  openTestStore,
  type TestStore,
  testDatabaseUrl,
  testEngines,
} from "../../test/helpers/test-store.js";
import { copyCell, copyFromStdin, copyOutBinary } from "./copy-in.js";
import { openStore } from "./database.js";

describe("copyCell", () => {
  it("escapes what ends a cell or a row, and writes NULL as \\N", () => {
    expect(copyCell(null)).toBe("\\N");
    expect(copyCell("plain")).toBe("plain");
    expect(copyCell("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
    expect(copyCell("\\N")).toBe("\\\\N");
    expect(copyCell("\\.")).toBe("\\\\.");
  });
});

// The pg client streams COPY FROM STDIN; PGlite takes the same statement as COPY FROM '/dev/blob'.
describe.each(testEngines)("copyFromStdin on %s", (engine) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(engine, "copy-in");
    await sql`create table copy_target (n bigint not null primary key, t text)`.execute(store.db);
  });
  afterAll(() => store.dispose());

  const values = ["tab\there", "line\nbreak", "back\\slash", "\\N", "\\.", "", "ünï €𝄞", null];
  const data = (from: number) => values.map((v, i) => `${from + i}\t${copyCell(v)}\n`).join("");

  it("writes every row inside the caller's transaction, each cell as it was", async () => {
    await store.db.transaction().execute(async (trx) => {
      // Three times on one connection: a text seen twice is prepared, and a COPY never may be.
      for (const from of [0, 100, 200]) {
        await copyFromStdin("copy_target (n, t)", [data(from)]).execute(trx);
      }
    });
    const rows = await sql<{ n: number; t: string | null }>`select n, t from copy_target order by n`.execute(
      store.db,
    );
    expect(rows.rows).toHaveLength(values.length * 3);
    expect(rows.rows.slice(0, values.length).map((r) => r.t)).toEqual(values);
  });

  it.runIf(engine === "postgres")(
    "works with prepared statements off (TRIBUTARY_PREPARED_STATEMENTS=off) as well",
    async () => {
      const plain = await openStore({ databaseUrl: store.url, preparedStatements: false, poolSize: 2 });
      try {
        await plain.db.transaction().execute(async (trx) => {
          await copyFromStdin("copy_target (n, t)", [data(500)]).execute(trx);
        });
        const rows = await sql<{
          t: string | null;
        }>`select t from copy_target where n >= 500 and n < 600 order by n`.execute(plain.db);
        expect(rows.rows.map((r) => r.t)).toEqual(values);
      } finally {
        await plain.close();
      }
    },
  );

  it("rejects with PostgreSQL's error, rolls back with the transaction, and leaves the connection usable", async () => {
    const before = (await sql<{ n: number }>`select count(*)::int as n from copy_target`.execute(store.db))
      .rows[0].n;
    await expect(
      store.db.transaction().execute(async (trx) => {
        await copyFromStdin("copy_target (n, t)", [data(1000)]).execute(trx);
        await copyFromStdin("copy_target (n, t)", ["not a number\tx\n"]).execute(trx);
      }),
    ).rejects.toThrow(/invalid input syntax for type bigint/);
    const after = (await sql<{ n: number }>`select count(*)::int as n from copy_target`.execute(store.db))
      .rows[0].n;
    expect(after).toBe(before);
    // Every pooled connection still answers.
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => sql<{ one: number }>`select 1 as one`.execute(store.db)),
    );
    expect(answers.every((a) => a.rows[0].one === 1)).toBe(true);
  });

  it("takes its pieces from a generator, each made after the one before it was sent", async () => {
    const made: number[] = [];
    function* pieces() {
      for (const from of [2000, 2100, 2200]) {
        made.push(from);
        yield data(from);
      }
    }
    await store.db.transaction().execute(async (trx) => {
      await copyFromStdin("copy_target (n, t)", pieces()).execute(trx);
    });
    expect(made).toEqual([2000, 2100, 2200]);
    const rows = await sql<{ t: string | null }>`
      select t from copy_target where n >= 2000 and n < 2300 order by n`.execute(store.db);
    expect(rows.rows.map((r) => r.t)).toEqual([...values, ...values, ...values]);
  });

  it("fails with the generator's own error when making a piece throws, and writes none of it", async () => {
    function* pieces() {
      yield data(3000);
      throw new Error("the row builder broke");
    }
    await expect(
      store.db.transaction().execute(async (trx) => {
        await copyFromStdin("copy_target (n, t)", pieces()).execute(trx);
      }),
    ).rejects.toThrow("the row builder broke");
    const written = await sql<{ n: number }>`
      select count(*)::int as n from copy_target where n >= 3000 and n < 3100`.execute(store.db);
    expect(written.rows[0].n).toBe(0);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => sql<{ one: number }>`select 1 as one`.execute(store.db)),
    );
    expect(answers.every((a) => a.rows[0].one === 1)).toBe(true);
  });
});

describe.runIf(testDatabaseUrl)("copyOutBinary on PostgreSQL", () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore("postgres", "copy-out");
    await sql`create table blobs (n integer primary key, data bytea)`.execute(store.db);
  });
  afterAll(() => store.dispose());

  it("answers a query's rows with each value's bytes as stored: every byte value, empty, NULL, a large one", async () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const large = Buffer.alloc(3 * 1024 * 1024 + 7, 0xc3);
    const values = [every, Buffer.alloc(0), null, large, Buffer.from("ünï €𝄞\n\\N")];
    for (const [n, data] of values.entries())
      await sql`insert into blobs (n, data) values (${n}, ${data})`.execute(store.db);
    const result = await copyOutBinary("select n, data from blobs order by n", ["n", "data"]).execute(
      store.db,
    );
    expect(result.rows.map((row) => (row.n as Buffer).readInt32BE(0))).toEqual([0, 1, 2, 3, 4]);
    // Compared as hex: a deep equality walks a 3 MiB buffer element by element for seconds.
    const hex = (data: Buffer | null) => data?.toString("hex") ?? null;
    expect(result.rows.map((row) => hex(row.data))).toEqual(values.map(hex));
    const none = await copyOutBinary("select n, data from blobs where n < 0", ["n", "data"]).execute(
      store.db,
    );
    expect(none.rows).toEqual([]);
  });

  it("rejects with PostgreSQL's error and leaves every connection usable, inside a transaction too", async () => {
    await expect(
      copyOutBinary("select n, data from no_such_table", ["n", "data"]).execute(store.db),
    ).rejects.toThrow(/no_such_table/);
    await expect(
      store.db.transaction().execute(async (trx) => {
        await copyOutBinary("select n, data from blobs", ["n", "data"]).execute(trx);
        await copyOutBinary("select 1/0, data from blobs", ["n", "data"]).execute(trx);
      }),
    ).rejects.toThrow(/division by zero/);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => sql<{ one: number }>`select 1 as one`.execute(store.db)),
    );
    expect(answers.every((a) => a.rows[0].one === 1)).toBe(true);
  });
});
