import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContactInput } from "../src/core/contact.js";
import { upsertContacts } from "../src/store/contacts/upsert-contacts.js";
import { createTenant, type Tenant } from "../src/store/tenants.js";
import { openTestStore, type TestStore, testDatabaseUrl } from "./helpers/test-store.js";

// Races need real concurrent connections: PGlite has one connection and serialises transactions.
describe.skipIf(!testDatabaseUrl)("concurrent writers on postgres", () => {
  let store: TestStore;
  let tenant: Tenant;

  beforeAll(async () => {
    store = await openTestStore("postgres", "race");
    tenant = await createTenant(store.db, "Race");
  });
  afterAll(() => store?.dispose());

  const person = (key: string, variant: number): ContactInput => ({
    identifiers: { external_id: key },
    fields: {
      givenName: `Given${variant}`,
      surname: `Surname-${key}`,
      email: `${key.toLowerCase()}@example.org`,
    },
  });

  it.each([
    { idProperty: { scheme: "external_id" } as const, label: "external_id" },
    { idProperty: "email" as const, label: "email" },
  ])("8 writers upserting the same 200 people by $label create each person once", async ({ idProperty }) => {
    const prefix = `P${Date.now()}`;
    const keys = Array.from({ length: 200 }, (_, i) => `${prefix}-${i}`);
    const writers = Array.from({ length: 8 }, (_, w) => {
      // Each writer sends the keys in its own order, in batches of 50, so batches overlap crosswise.
      const order = [...keys].sort(
        (a, b) => ((a.charCodeAt(a.length - 1) * (w + 1)) % 7) - ((b.charCodeAt(b.length - 1) * (w + 1)) % 7),
      );
      return (async () => {
        for (let i = 0; i < order.length; i += 50) {
          const batch = order.slice(i, i + 50).map((k) => person(k, w));
          const out = await upsertContacts(store.db, batch, {
            tenantId: tenant.id,
            idProperty,
            mode: "allOrNone",
            actor: `writer${w}`,
          });
          expect(out.committed).toBe(true);
        }
      })();
    });
    await Promise.all(writers);
    const rows = await sql<{ n: number; people: number }>`
      select count(*)::int as n, count(distinct lower(email))::int as people from contacts
      where tenant_id = ${tenant.id} and email like ${`${prefix.toLowerCase()}-%`}`.execute(store.db);
    expect(rows.rows[0]).toEqual({ n: 200, people: 200 });
  });

  it("big batches (bucketed locks) from 4 writers still create each person once", async () => {
    const prefix = `Q${Date.now()}`;
    const keys = Array.from({ length: 600 }, (_, i) => `${prefix}-${i}`);
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        const order = w % 2 === 0 ? keys : [...keys].reverse();
        for (let i = 0; i < order.length; i += 300) {
          const batch = order.slice(i, i + 300).map((k) => person(k, w));
          const out = await upsertContacts(store.db, batch, {
            tenantId: tenant.id,
            idProperty: { scheme: "external_id" },
            mode: "allOrNone",
            actor: `big${w}`,
          });
          expect(out.committed).toBe(true);
        }
      }),
    );
    const rows = await sql<{ n: number }>`
      select count(*)::int as n from contact_identifiers where tenant_id = ${tenant.id} and value like ${`${prefix}-%`}`.execute(
      store.db,
    );
    expect(rows.rows[0].n).toBe(600);
  });

  it("big batches (bucketed locks) and small ones (a lock per key) on the same people by email create each once", async () => {
    // Email has no unique constraint: only the locks keep two writers from creating the same person twice.
    // A small batch must wait for a big one that holds its key's bucket, and the other way round.
    for (let round = 0; round < 5; round++) {
      const prefix = `M${Date.now()}r${round}`;
      const keys = Array.from({ length: 300 }, (_, i) => `${prefix}-${i}`);
      const options = (actor: string) => ({
        tenantId: tenant.id,
        idProperty: "email" as const,
        mode: "allOrNone" as const,
        actor,
      });
      await Promise.all([
        upsertContacts(
          store.db,
          keys.map((k) => person(k, 1)),
          options("big"),
        ),
        ...Array.from({ length: 6 }, (_, w) =>
          upsertContacts(
            store.db,
            keys
              .filter((_, i) => i % 6 === w)
              .slice(0, 40)
              .map((k) => person(k, 2)),
            options(`small${w}`),
          ),
        ),
      ]);
      const rows = await sql<{ n: number; people: number }>`
        select count(*)::int as n, count(distinct lower(email))::int as people from contacts
        where tenant_id = ${tenant.id} and email like ${`${prefix.toLowerCase()}-%`}`.execute(store.db);
      expect(rows.rows[0]).toEqual({ n: 300, people: 300 });
    }
  });

  it("a failing batch leaves no row behind, even with others committing around it", async () => {
    const prefix = `F${Date.now()}`;
    const good = Array.from({ length: 20 }, (_, i) => person(`${prefix}-${i}`, 0));
    const bad = [
      ...good.slice(0, 10).map((p) => structuredClone(p)),
      { ...person(`${prefix}-bad`, 0), fields: { email: "broken" } },
    ];
    for (const p of bad) p.identifiers = { external_id: `${p.identifiers?.external_id}-b` };
    const [ok, refused] = await Promise.all([
      upsertContacts(store.db, good, {
        tenantId: tenant.id,
        idProperty: { scheme: "external_id" },
        mode: "allOrNone",
        actor: "a",
      }),
      upsertContacts(store.db, bad, {
        tenantId: tenant.id,
        idProperty: { scheme: "external_id" },
        mode: "allOrNone",
        actor: "b",
      }),
    ]);
    expect(ok.committed).toBe(true);
    expect(refused.committed).toBe(false);
    const rows = await sql<{
      n: number;
    }>`select count(*)::int as n from contact_identifiers where tenant_id = ${tenant.id} and value like ${`${prefix}-%-b`}`.execute(
      store.db,
    );
    expect(rows.rows[0].n).toBe(0);
  });
});
