import type { Transaction } from "kysely";
import type { ContactInput } from "../../core/contact.js";
import { matchKeyOf } from "../../core/match-key.js";
import { findByKeys, type UpsertHooks } from "../../store/contacts/upsert-contacts.js";
import type { Database } from "../../store/schema.js";
import { regentIdScheme } from "./mapping.js";

/** The normalised email, names and date of birth of an input without `regent_id`; null with one, or too little. */
export function personalIdentityKey(input: ContactInput): string | null {
  return input.identifiers?.[regentIdScheme] !== undefined ? null : matchKeyOf(input, "pi");
}

/** Inputs without `regent_id` match the oldest contact with the same email, names and date of birth. */
export async function matchByPersonalIdentity(
  trx: Transaction<Database>,
  tenantId: number,
  unmatched: Array<{ index: number; input: ContactInput }>,
): Promise<Map<number, number>> {
  const keys = new Map<number, string>();
  for (const { index, input } of unmatched) {
    const key = personalIdentityKey(input);
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

/**
 * The engine hooks of the ServiceStack upsert, for its endpoint and its import shape alike: a record without
 * `regent_id` matches a stored contact by its personal identity, and two such records of one request or one
 * import chunk that are the same person become one contact (the first creates it, the next updates it).
 */
export const serviceStackUpsertHooks: UpsertHooks = {
  fallbackMatch: matchByPersonalIdentity,
  fallbackKey: personalIdentityKey,
};
