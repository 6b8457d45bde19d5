import { type Kysely, sql } from "kysely";
import { defaultReferenceData } from "../core/reference-defaults.js";
import type { Database } from "./schema.js";

export interface Tenant {
  id: number;
  name: string;
}

/** Creates a tenant with its default reference data, in one transaction. */
export async function createTenant(db: Kysely<Database>, name: string): Promise<Tenant> {
  return db.transaction().execute(async (trx) => {
    const tenant = await trx
      .insertInto("tenants")
      .values({ name })
      .returning(["id", "name"])
      .executeTakeFirstOrThrow();
    const defaults = defaultReferenceData();
    const parents = defaults.filter((d) => !d.parent);
    const inserted = await trx
      .insertInto("referenceItems")
      .values(
        parents.map((d, i) => ({
          tenantId: tenant.id,
          kind: d.kind,
          name: d.name,
          code: d.code ?? null,
          parentId: null,
          sortOrder: i,
        })),
      )
      .returning(["id", "kind", "name"])
      .execute();
    const children = defaults.filter((d) => d.parent);
    if (children.length > 0) {
      await trx
        .insertInto("referenceItems")
        .values(
          children.map((d, i) => ({
            tenantId: tenant.id,
            kind: d.kind,
            name: d.name,
            code: null,
            sortOrder: i,
            parentId: inserted.find((p) => p.kind === "channel" && p.name === d.parent)?.id ?? null,
          })),
        )
        .execute();
    }
    return { id: Number(tenant.id), name: tenant.name };
  });
}

/** Finds a tenant by name, case-insensitively. */
export async function findTenantByName(db: Kysely<Database>, name: string): Promise<Tenant | undefined> {
  const row = await db
    .selectFrom("tenants")
    .select(["id", "name"])
    .where(sql`lower(name)`, "=", name.toLowerCase())
    .executeTakeFirst();
  return row && { id: Number(row.id), name: row.name };
}
