import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testDatabaseUrl } from "../../test/helpers/test-store.js";

// Prepared statements are the pg driver's; PGlite runs its statements as they come.
describe.skipIf(!testDatabaseUrl)("prepared statements on postgres", () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore("postgres", "prepared");
  });
  afterAll(() => store?.dispose());

  it("prepares a parameterised statement the second time a connection runs it, and answers the same", async () => {
    await store.db.connection().execute(async (conn) => {
      const answers: unknown[] = [];
      for (let i = 0; i < 3; i++)
        answers.push(
          (await sql<{ n: number }>`select ${i}::int + 1 as n, 'repeated' as label`.execute(conn)).rows[0],
        );
      expect(answers).toEqual([
        { n: 1, label: "repeated" },
        { n: 2, label: "repeated" },
        { n: 3, label: "repeated" },
      ]);
      await sql`select ${1}::int as once`.execute(conn);
      const statements = (
        await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(conn)
      ).rows.map((r) => r.statement);
      expect(statements.filter((s) => s.includes("'repeated'"))).toHaveLength(1);
      expect(statements.some((s) => s.includes("as once"))).toBe(false);
    });
  });

  it("prepares a statement only once it has succeeded", async () => {
    await store.db.connection().execute(async (conn) => {
      const query = () =>
        sql<{ n: number }>`select count(*) as n from prepared_probe where id = ${1}`.execute(conn);
      for (let i = 0; i < 2; i++) await expect(query()).rejects.toThrow(/prepared_probe/);
      await sql`create table prepared_probe (id int)`.execute(conn);
      for (let i = 0; i < 3; i++) expect((await query()).rows).toEqual([{ n: 0 }]);
      await sql`drop table prepared_probe`.execute(conn);
    });
  });

  it("runs a statement unprepared after a migration changed the columns of its select *", async () => {
    await store.db.connection().execute(async (conn) => {
      await sql`create table prepared_shape (id int, a text)`.execute(conn);
      await sql`insert into prepared_shape values (1, 'x')`.execute(conn);
      const query = () => sql`select * from prepared_shape where id = ${1}`.execute(conn);
      for (let i = 0; i < 3; i++) expect((await query()).rows).toEqual([{ id: 1, a: "x" }]);
      await sql`alter table prepared_shape add column b text`.execute(conn);
      // The prepared plan cannot change its result type: the first run fails, the next ones run unprepared.
      await expect(query()).rejects.toThrow(/cached plan must not change result type/);
      expect((await query()).rows).toEqual([{ id: 1, a: "x", b: null }]);
      await sql`drop table prepared_shape`.execute(conn);
    });
  });

  it("runs nothing prepared when the store is opened with prepared statements off", async () => {
    const { openStore } = await import("./database.js");
    const plain = await openStore({ databaseUrl: store.url, preparedStatements: false });
    try {
      await plain.db.connection().execute(async (conn) => {
        for (let i = 0; i < 3; i++) await sql`select ${i}::int as plain`.execute(conn);
        const rows = (await sql`select statement from pg_prepared_statements`.execute(conn)).rows;
        expect(rows).toEqual([]);
      });
    } finally {
      await plain.close();
    }
  });
});
