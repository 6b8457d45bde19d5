import type { ReferenceKind } from "../core/contact-fields.js";
import type { DateFormat } from "../core/dates.js";
import type { Store } from "../store/database.js";
import { listReferenceItems, referenceKinds } from "../store/reference-items.js";
import type { ShapeContext } from "./import-shapes.js";

/** Finds a tenant's reference rows by name or code, case-insensitively, so files can say "Australia" or "AU". */
export type ReferenceLookup = (kind: ReferenceKind, nameOrCode: string) => number | undefined;

/** Loads every reference kind of a tenant once (a few hundred rows) for the length of a job. */
export async function loadReferenceLookup(store: Store, tenantId: number): Promise<ReferenceLookup> {
  const byKind = new Map<ReferenceKind, Map<string, number>>();
  for (const kind of referenceKinds) {
    const index = new Map<string, number>();
    // Inactive rows are listed too, so the engine can say "deactivated" instead of "unknown".
    const items = await listReferenceItems(store.db, tenantId, kind, { includeInactive: true });
    for (const item of [...items].reverse()) {
      index.set(item.name.trim().toLowerCase(), item.id);
      if (item.code) index.set(item.code.trim().toLowerCase(), item.id);
    }
    // An active row wins over an inactive one of the same name.
    for (const item of items) if (item.active) index.set(item.name.trim().toLowerCase(), item.id);
    byKind.set(kind, index);
  }
  return (kind, nameOrCode) => {
    const index = byKind.get(kind);
    const key = nameOrCode.trim().toLowerCase();
    // `Dr.` and `Mr.` as spreadsheets write them name the tenant's `Dr` and `Mr`.
    return index?.get(key) ?? (key.endsWith(".") ? index?.get(key.slice(0, -1).trimEnd()) : undefined);
  };
}

/**
 * What every shape may look up during a job: reference rows by name or code, the tenant's user names, and
 * the order of the file's dates.
 */
export async function loadShapeContext(
  store: Store,
  tenantId: number,
  dateFormat: DateFormat = "YEAR_MONTH_DAY",
): Promise<ShapeContext> {
  const users = new Map<string, string>();
  const rows = await store.db
    .selectFrom("users")
    .select("username")
    .where("tenantId", "=", tenantId)
    .execute();
  for (const { username } of rows) users.set(username.trim().toLowerCase(), username);
  return {
    references: await loadReferenceLookup(store, tenantId),
    dateFormat,
    userName: (name) => users.get(name.trim().toLowerCase()),
  };
}
