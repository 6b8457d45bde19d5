import type { Transaction } from "kysely";
import type { ContactInput } from "../../core/contact.js";
import { matchKeyOf } from "../../core/match-key.js";
import { findByKeys } from "../../store/contacts/upsert-contacts.js";
import type { Database } from "../../store/schema.js";
import { regentIdScheme } from "./mapping.js";

/** Inputs without `regent_id` match the oldest contact with the same email, names and date of birth. */
export async function matchByPersonalIdentity(
  trx: Transaction<Database>,
  tenantId: number,
  unmatched: Array<{ index: number; input: ContactInput }>,
): Promise<Map<number, number>> {
  const keys = new Map<number, string>();
  for (const { index, input } of unmatched) {
    if (input.identifiers?.[regentIdScheme] !== undefined) continue;
    const key = matchKeyOf(input, "pi");
    if (key !== null) keys.set(index, key);
  }
  const found = new Map<number, number>();
  if (keys.size === 0) return found;
  const rows = await findByKeys(trx, tenantId, "pi", [...new Set(keys.values())]);
  const ids = new Map(rows.map((r) => [r.key, r.id]));
  for (const [index, key] of keys) {
    const id = ids.get(key);
    if (id !== undefined) found.set(index, id);
  }
  return found;
}
