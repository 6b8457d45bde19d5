import { sql, type Transaction } from "kysely";
import type { ContactInput } from "../../core/contact.js";
import type { FieldError } from "../../core/errors.js";
import type { UpsertHooks } from "../../store/contacts/upsert-contacts.js";
import type { Database } from "../../store/schema.js";
import { externalIdScheme } from "./mapping.js";

/** The clock rule: an input whose contactModified is older than the stored one is not saved. */
function lastWriterWins(
  input: ContactInput,
  stored: { fields: Record<string, unknown> } | undefined,
): FieldError[] | "skip" {
  const incoming = input.fields.sourceModifiedAt;
  const current = stored?.fields.sourceModifiedAt;
  if (
    typeof incoming === "string" &&
    typeof current === "string" &&
    Date.parse(incoming) < Date.parse(current)
  )
    return "skip";
  return [];
}

const normaliseName = (value: unknown) =>
  typeof value === "string" ? value.trim().normalize("NFC").toLowerCase().replace(/\s+/g, " ") : "";

/** Normalised email1 + first name + last name, for a record without externalId; null without an email. */
function emailAndNameKey(input: ContactInput): string | null {
  if (input.identifiers?.[externalIdScheme] !== undefined) return null;
  const email = typeof input.fields.email === "string" ? input.fields.email.trim().toLowerCase() : "";
  if (!email) return null;
  return [email, normaliseName(input.fields.givenName), normaliseName(input.fields.surname)].join("\u001f");
}

/** Inputs without externalId match an existing contact by normalised email1 + first name + last name. */
async function matchByEmailAndName(
  trx: Transaction<Database>,
  tenantId: number,
  unmatched: Array<{ index: number; input: ContactInput }>,
): Promise<Map<number, number>> {
  const wanted = new Map<string, number[]>();
  for (const { index, input } of unmatched) {
    const key = emailAndNameKey(input);
    if (key === null) continue;
    wanted.set(key, [...(wanted.get(key) ?? []), index]);
  }
  const found = new Map<number, number>();
  if (wanted.size === 0) return found;
  const emails = [...new Set([...wanted.keys()].map((k) => k.split("\u001f")[0]))];
  const rows = await sql<{ id: number; email: string; givenName: string | null; surname: string | null }>`
    select id, email, given_name, surname from contacts
    where tenant_id = ${tenantId} and lower(email) = any(${emails}::text[]) order by id`.execute(trx);
  for (const row of rows.rows) {
    const key = [
      row.email.trim().toLowerCase(),
      normaliseName(row.givenName),
      normaliseName(row.surname),
    ].join("\u001f");
    // Several stored contacts may share the key; the oldest is the one the client means.
    for (const index of wanted.get(key) ?? []) if (!found.has(index)) found.set(index, Number(row.id));
  }
  return found;
}

/** The engine hooks of SAM's upsert: the clock rule, and email + names for records without externalId. */
export const samUpsertHooks: UpsertHooks = {
  check: lastWriterWins,
  fallbackMatch: matchByEmailAndName,
  fallbackKey: emailAndNameKey,
};
