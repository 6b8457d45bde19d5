import type { Kysely } from "kysely";
import { type AuthenticatedUser, checkLogin } from "../../auth/check-login.js";
import type { Database } from "../../store/schema.js";

/** The answer to a SAM login; SAM has no ambiguity, the oldest matching account wins. */
export type LoginOutcome =
  | { outcome: "ok"; user: AuthenticatedUser }
  | { outcome: "failed" }
  | { outcome: "locked" };

/**
 * Checks an email and password. Emails are unique per tenant only, so the password is tried against
 * every tenant's user with that email and the oldest matching account wins (docs/dialects/sam.md).
 */
export async function loginUser(
  db: Kysely<Database>,
  email: string,
  password: string,
  now: Date,
): Promise<LoginOutcome> {
  const result = await checkLogin(
    db,
    { login: email, lookup: "email", tenantPrefix: false, several: "oldest-match" },
    password,
    now,
  );
  // "oldest-match" never answers ambiguous; the narrowing only satisfies the type.
  return result.outcome === "ambiguous" ? { outcome: "failed" } : result;
}
