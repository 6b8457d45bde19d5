import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "./helpers/test-store.js";

// The tenant table is the distribution key itself, and Kysely's migration bookkeeping is not tenant data.
const notTenantData = new Set(["tenants", "kysely_migration", "kysely_migration_lock"]);

describe.each(testEngines)("schema on %s: ready to be distributed by tenant", (engine) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(engine, "keys");
  });
  afterAll(() => store.dispose());

  it("every table of tenant data carries a non-null tenant_id", async () => {
    const { rows } = await sql<{ table: string; nullable: string | null }>`
      select t.table_name as table, c.is_nullable as nullable
      from information_schema.tables t
      left join information_schema.columns c
        on c.table_schema = t.table_schema and c.table_name = t.table_name and c.column_name = 'tenant_id'
      where t.table_schema = 'public' and t.table_type = 'BASE TABLE'`.execute(store.db);
    const tables = rows.filter((r) => !notTenantData.has(r.table));
    expect(tables.length).toBeGreaterThan(10);
    expect(tables.filter((r) => r.nullable !== "NO").map((r) => r.table)).toEqual([]);
  });

  it("every primary key and unique index leads with tenant_id", async () => {
    const { rows } = await sql<{ table: string; index: string; first: string | null }>`
      select t.relname as table, i.relname as index, a.attname as first
      from pg_index x
      join pg_class i on i.oid = x.indexrelid
      join pg_class t on t.oid = x.indrelid
      join pg_namespace n on n.oid = t.relnamespace
      left join pg_attribute a on a.attrelid = t.oid and a.attnum = x.indkey[0]
      where n.nspname = 'public' and (x.indisprimary or x.indisunique)`.execute(store.db);
    const checked = rows.filter((r) => !notTenantData.has(r.table));
    expect(checked.map((r) => r.index)).toEqual(
      expect.arrayContaining(["contacts_pkey", "contact_identifiers_pkey", "api_tokens_hash_key"]),
    );
    expect(checked.filter((r) => r.first !== "tenant_id").map((r) => `${r.table}.${r.index}`)).toEqual([]);
  });

  it("identifiers are unique per tenant and scheme", async () => {
    const { rows } = await sql<{ def: string }>`
      select pg_get_indexdef(indexrelid) as def from pg_index where indexrelid = 'contact_identifiers_pkey'::regclass`.execute(
      store.db,
    );
    expect(rows[0].def).toMatch(/\(tenant_id, scheme, value\)/);
  });
});
