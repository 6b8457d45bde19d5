import { type Kysely, sql } from "kysely";
import type { ReferenceKind } from "../core/contact-fields.js";
import { TributaryError } from "../core/errors.js";
import type { Database } from "./schema.js";

export interface ReferenceItem {
  id: number;
  kind: ReferenceKind;
  name: string;
  code: string | null;
  parentId: number | null;
  active: boolean;
}

export { referenceKinds } from "../core/contact-fields.js";

const columns = ["id", "kind", "name", "code", "parentId", "active"] as const;
const toItem = (r: {
  id: number;
  kind: string;
  name: string;
  code: string | null;
  parentId: number | null;
  active: boolean;
}): ReferenceItem => ({
  ...r,
  id: Number(r.id),
  parentId: r.parentId === null ? null : Number(r.parentId),
  kind: r.kind as ReferenceKind,
});

/** Lists one kind of a tenant's reference data, in its sort order. */
export async function listReferenceItems(
  db: Kysely<Database>,
  tenantId: number,
  kind: ReferenceKind,
  options: { includeInactive?: boolean } = {},
) {
  let query = db
    .selectFrom("referenceItems")
    .select(columns)
    .where("tenantId", "=", tenantId)
    .where("kind", "=", kind);
  if (!options.includeInactive) query = query.where("active", "=", true);
  return (await query.orderBy("sortOrder").orderBy("id").execute()).map(toItem);
}

/** Finds reference rows of a kind by name or code (case-insensitive). */
export async function findReferenceItem(
  db: Kysely<Database>,
  tenantId: number,
  kind: ReferenceKind,
  nameOrCode: string,
): Promise<ReferenceItem | undefined> {
  const needle = nameOrCode.trim().toLowerCase();
  const row = await db
    .selectFrom("referenceItems")
    .select(columns)
    .where("tenantId", "=", tenantId)
    .where("kind", "=", kind)
    .where((eb) => eb.or([eb(sql`lower(name)`, "=", needle), eb(sql`lower(code)`, "=", needle)]))
    .orderBy("active", "desc")
    .executeTakeFirst();
  return row && toItem(row);
}

/** Adds a reference row; a duplicate name of the same kind is a REFERENCE_NAME_TAKEN error. */
export async function addReferenceItem(
  db: Kysely<Database>,
  tenantId: number,
  item: { kind: ReferenceKind; name: string; code?: string | null; parentId?: number | null },
): Promise<ReferenceItem> {
  if (await findByExactName(db, tenantId, item.kind, item.name)) {
    throw new TributaryError("REFERENCE_NAME_TAKEN", `A ${item.kind} named '${item.name}' already exists`);
  }
  const row = await db
    .insertInto("referenceItems")
    .values({
      tenantId,
      kind: item.kind,
      name: item.name.trim(),
      code: item.code ?? null,
      parentId: item.parentId ?? null,
      sortOrder: 1000,
    })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return toItem(row);
}

/** Renames and/or (de)activates a reference row of a tenant. */
export async function updateReferenceItem(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  change: { name?: string; active?: boolean; code?: string | null },
  kind?: ReferenceKind,
): Promise<ReferenceItem> {
  const current = await db
    .selectFrom("referenceItems")
    .select(columns)
    .where("tenantId", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  // The kind the caller named must be the row's: /reference/country/7 must not rename heat status 7.
  if (!current || (kind !== undefined && current.kind !== kind))
    throw new TributaryError(
      "REFERENCE_NOT_FOUND",
      `No ${kind ? kind.replace(/_/g, "-") : "reference row"} ${id}`,
    );
  if (change.name !== undefined && change.name.trim().toLowerCase() !== current.name.toLowerCase()) {
    if (await findByExactName(db, tenantId, current.kind as ReferenceKind, change.name)) {
      throw new TributaryError(
        "REFERENCE_NAME_TAKEN",
        `A ${current.kind} named '${change.name}' already exists`,
      );
    }
  }
  const row = await db
    .updateTable("referenceItems")
    .set({
      ...(change.name !== undefined ? { name: change.name.trim() } : {}),
      ...(change.active !== undefined ? { active: change.active } : {}),
      ...(change.code !== undefined ? { code: change.code } : {}),
      modifiedAt: new Date(),
    })
    .where("tenantId", "=", tenantId)
    .where("id", "=", id)
    .returning(columns)
    .executeTakeFirstOrThrow();
  return toItem(row);
}

async function findByExactName(db: Kysely<Database>, tenantId: number, kind: string, name: string) {
  return db
    .selectFrom("referenceItems")
    .select("id")
    .where("tenantId", "=", tenantId)
    .where("kind", "=", kind)
    .where(sql`lower(name)`, "=", name.trim().toLowerCase())
    .executeTakeFirst();
}
