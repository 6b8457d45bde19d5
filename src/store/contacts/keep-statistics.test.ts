import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../../test/helpers/test-store.js";
import { createTenant, type Tenant } from "../tenants.js";
import { noteContactRowsWritten } from "./keep-statistics.js";

describe.each(testEngines)("noteContactRowsWritten on %s", (engine) => {
  let store: TestStore;
  let tenant: Tenant;

  beforeAll(async () => {
    store = await openTestStore(engine, "statistics");
    tenant = await createTenant(store.db, "College");
  });
  afterAll(() => store.dispose());

  /** Adds `count` people straight in SQL: the engine's statistics, not its writes, are under test. */
  const addPeople = async (count: number, company: string, withEmail: boolean) => {
    await sql`insert into contacts (tenant_id, given_name, surname, email, company)
      select ${tenant.id}, 'Given' || g, 'Surname' || g, case when ${withEmail} then 'p' || g || '@example.org' end, ${company}
      from generate_series(1, ${count}) g`.execute(store.db);
  };
  const columnStats = async (attname: string) =>
    (
      await sql<{ nullFrac: number; mostCommonVals: string | null }>`
        select null_frac, most_common_vals::text from pg_stats
        where schemaname = current_schema() and tablename = 'contacts' and attname = ${attname}`.execute(
        store.db,
      )
    ).rows[0];
  const estimatedRows = async () =>
    Number(
      (
        await sql<{
          reltuples: number;
        }>`select reltuples from pg_class where oid = 'contacts'::regclass`.execute(store.db)
      ).rows[0].reltuples,
    );

  it("analyzes in full once, then only the columns queries filter contacts by", async () => {
    await addPeople(6_000, "Acme", true);
    const first = noteContactRowsWritten(store.db, 6_000);
    expect(first).toBeDefined();
    await first;
    expect(await estimatedRows()).toBe(6_000);
    expect((await columnStats("company"))?.mostCommonVals).toBe("{Acme}");
    expect((await columnStats("email"))?.nullFrac).toBe(0);
    // The index expressions (lower(email), lower(surname), lower(given_name)) get their statistics here.
    const expressions = await sql<{ n: number }>`
      select count(*)::int as n from pg_stats where schemaname = current_schema() and tablename in ('contacts_email_idx', 'contacts_name_idx')`.execute(
      store.db,
    );
    expect(expressions.rows[0].n).toBe(3);

    // Below the threshold (5,000 rows, or half the rows analyzed last time): nothing runs.
    await addPeople(4_000, "Other", false);
    expect(noteContactRowsWritten(store.db, 4_000)).toBeUndefined();
    await addPeople(2_000, "Other", false);
    const second = noteContactRowsWritten(store.db, 2_000);
    expect(second).toBeDefined();
    await second;
    // The table's size and the listed columns are current; company, not listed, keeps its first statistics.
    expect(await estimatedRows()).toBe(12_000);
    expect((await columnStats("email"))?.nullFrac).toBeCloseTo(0.5, 1);
    expect((await columnStats("company"))?.mostCommonVals).toBe("{Acme}");
  });
});
