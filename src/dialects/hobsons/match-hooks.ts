import { sql, type Transaction } from "kysely";
import type { ContactInput } from "../../core/contact.js";
import { normaliseName } from "../../core/name-similarity.js";
import { type MatchOptions, pickBestMatch } from "../../core/score-match.js";
import type { Database } from "../../store/schema.js";

/** Normalised email + names + date of birth: two new inputs with the same one in a batch are one contact. */
export function personalIdentifierKey(input: ContactInput): string | null {
  const email = typeof input.fields.email === "string" ? input.fields.email.trim().toLowerCase() : "";
  if (!email) return null;
  const f = input.fields;
  return [
    email,
    normaliseName(f.givenName as string),
    normaliseName(f.surname as string),
    String(f.dateOfBirth ?? ""),
  ].join("\u001f");
}

/** The scored Personal Identifier match of docs/matching.md, as the engine's fallback for unmatched inputs. */
export function scoredMatch(options: MatchOptions) {
  return async (
    trx: Transaction<Database>,
    tenantId: number,
    unmatched: Array<{ index: number; input: ContactInput }>,
  ) => {
    const found = new Map<number, number>();
    const emails = [
      ...new Set(
        unmatched
          .map((u) => u.input.fields.email)
          .filter((e): e is string => typeof e === "string" && e.trim() !== "")
          .map((e) => e.trim().toLowerCase()),
      ),
    ];
    const surnames = [
      ...new Set(
        unmatched
          .map((u) => u.input.fields.surname)
          .filter((s): s is string => typeof s === "string" && s.trim() !== "")
          .map((s) => s.trim().toLowerCase()),
      ),
    ];
    const dobs = [
      ...new Set(
        unmatched.map((u) => u.input.fields.dateOfBirth).filter((d): d is string => typeof d === "string"),
      ),
    ];
    if (emails.length === 0 && (surnames.length === 0 || dobs.length === 0)) return found;
    // Candidates: the same email, or the same surname and date of birth (nothing else can reach a useful score).
    const rows = await sql<{
      id: number;
      email: string | null;
      givenName: string | null;
      surname: string | null;
      dateOfBirth: string | null;
    }>`
      select id, email, given_name, surname, date_of_birth from contacts
      where tenant_id = ${tenantId} and (lower(email) = any(${emails}::text[])
        or (lower(surname) = any(${surnames}::text[]) and date_of_birth = any(${dobs}::date[])))`.execute(
      trx,
    );
    const candidates = rows.rows.map((r) => ({ ...r, id: Number(r.id) }));
    for (const { index, input } of unmatched) {
      const f = input.fields;
      const best = pickBestMatch(
        candidates,
        {
          email: f.email as string | null,
          givenName: f.givenName as string | null,
          surname: f.surname as string | null,
          dateOfBirth: f.dateOfBirth as string | null,
        },
        options,
      );
      if (best) found.set(index, best.id);
    }
    return found;
  };
}
