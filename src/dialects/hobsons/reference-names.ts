import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import type { ReferenceNames } from "./mapping.js";

/** Names (and parents) of a tenant's reference rows by id, plus the parents themselves (a sub-channel's channel). */
export async function loadReferenceNames(
  db: Kysely<Database>,
  tenantId: number,
  ids: readonly number[],
): Promise<ReferenceNames> {
  const names = new Map<number, { name: string; parentId: number | null }>();
  let wanted = [...new Set(ids)];
  // Two rounds at most: the rows named, then the parents those rows point at.
  for (let round = 0; round < 2 && wanted.length > 0; round++) {
    const rows = await db
      .selectFrom("referenceItems")
      .select(["id", "name", "parentId"])
      .where("tenantId", "=", tenantId)
      .where("id", "in", wanted)
      .execute();
    for (const r of rows)
      names.set(Number(r.id), { name: r.name, parentId: r.parentId === null ? null : Number(r.parentId) });
    wanted = [
      ...new Set(
        rows
          .map((r) => (r.parentId === null ? null : Number(r.parentId)))
          .filter((p): p is number => p !== null),
      ),
    ].filter((p) => !names.has(p));
  }
  return names;
}
