import { type Kysely, sql } from "kysely";
import { hashPassword, verifyPassword } from "../../auth/password-hash.js";
import type { Database } from "../../store/schema.js";

/** Failed logins an account may have within the window before it is locked. */
export const maxFailedLogins = 5;
/** The window failed logins are counted in, and how long a lock lasts. */
export const failureWindowMs = 15 * 60 * 1000;
export const lockDurationMs = 15 * 60 * 1000;

/** A user who logged in. */
export interface LoggedInUser {
  id: number;
  tenantId: number;
  roles: string[];
}

export type LoginOutcome =
  | { outcome: "ok"; user: LoggedInUser }
  | { outcome: "failed" }
  | { outcome: "locked" };

interface Candidate {
  id: number;
  tenantId: number;
  roles: string[];
  passwordHash: string;
  lockedUntil: Date | null;
}

// An unknown email still costs one scrypt, so response time does not tell who has an account.
let decoyHash: Promise<string> | undefined;

/**
 * Checks an email and password. Emails are unique per tenant only, so the password is tried against
 * every tenant's user with that email; the oldest matching account wins. Failures are counted on each
 * candidate (in the database, so a restart forgets nothing) and lock it after too many.
 */
export async function loginUser(
  db: Kysely<Database>,
  email: string,
  password: string,
  now: Date,
): Promise<LoginOutcome> {
  const rows = await db
    .selectFrom("users")
    .select(["id", "tenantId", "roles", "passwordHash", "lockedUntil"])
    .where(sql`lower(email)`, "=", email.trim().toLowerCase())
    .where("disabled", "=", false)
    .where("passwordHash", "is not", null)
    .orderBy("tenantId")
    .orderBy("id")
    .execute();
  const candidates: Candidate[] = rows.map((r) => ({
    id: Number(r.id),
    tenantId: Number(r.tenantId),
    roles: r.roles,
    passwordHash: r.passwordHash as string,
    lockedUntil: r.lockedUntil,
  }));
  if (candidates.length === 0) {
    decoyHash ??= hashPassword("decoy password nobody has");
    await verifyPassword(password, await decoyHash);
    return { outcome: "failed" };
  }
  const isLocked = (c: Candidate) => c.lockedUntil !== null && c.lockedUntil > now;
  const matches: Candidate[] = [];
  for (const candidate of candidates)
    if (await verifyPassword(password, candidate.passwordHash)) matches.push(candidate);
  const winner = matches.find((c) => !isLocked(c));
  if (winner) {
    await db
      .updateTable("users")
      .set({ failedLoginCount: 0, failedLoginWindowStart: null, lockedUntil: null })
      .where("tenantId", "=", winner.tenantId)
      .where("id", "=", winner.id)
      .execute();
    return { outcome: "ok", user: { id: winner.id, tenantId: winner.tenantId, roles: winner.roles } };
  }
  if (matches.length > 0) return { outcome: "locked" };
  let lockedNow = 0;
  for (const candidate of candidates) if (await recordFailure(db, candidate, now)) lockedNow += 1;
  return lockedNow === candidates.length ? { outcome: "locked" } : { outcome: "failed" };
}

/** Counts one failed login on an account; answers whether the account is locked afterwards. */
async function recordFailure(db: Kysely<Database>, candidate: Candidate, now: Date): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // The row lock serialises concurrent failures, so five parallel guesses count as five.
    const row = await trx
      .selectFrom("users")
      .select(["failedLoginCount", "failedLoginWindowStart", "lockedUntil"])
      .where("tenantId", "=", candidate.tenantId)
      .where("id", "=", candidate.id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return false;
    if (row.lockedUntil && row.lockedUntil > now) return true;
    const windowOpen =
      row.failedLoginWindowStart !== null &&
      now.getTime() - row.failedLoginWindowStart.getTime() < failureWindowMs;
    const count = windowOpen ? row.failedLoginCount + 1 : 1;
    const locked = count >= maxFailedLogins;
    await trx
      .updateTable("users")
      .set(
        locked
          ? {
              failedLoginCount: 0,
              failedLoginWindowStart: null,
              lockedUntil: new Date(now.getTime() + lockDurationMs),
            }
          : {
              failedLoginCount: count,
              failedLoginWindowStart: windowOpen ? row.failedLoginWindowStart : now,
              lockedUntil: null,
            },
      )
      .where("tenantId", "=", candidate.tenantId)
      .where("id", "=", candidate.id)
      .execute();
    return locked;
  });
}
