import { type Kysely, sql } from "kysely";
import type { Database } from "../store/schema.js";
import { hashPassword, verifyPassword } from "./password-hash.js";

/** Failed logins an account may collect within the window; the last of them locks it. */
export const maxFailedLogins = 5;
/** How far back failed logins are counted, in milliseconds. */
export const failureWindowMs = 15 * 60 * 1000;
/** How long a locked account stays locked, in milliseconds. */
export const lockDurationMs = 15 * 60 * 1000;

/** What a login names, and what to do when it names users of several tenants. */
export interface LoginRequest {
  /** the user name or email as the client sent it, perhaps as `tenant\user` */
  login: string;
  /** which column(s) the login is compared with, case-insensitively */
  lookup: "email" | "username" | "username-or-email";
  /** whether `tenant name\login` narrows the lookup to one tenant */
  tenantPrefix: boolean;
  /**
   * With several candidates: `oldest-match` lets the oldest account the password matches win (lowest
   * tenant id, then user id); `refuse` answers `ambiguous`, but only to a caller whose password matched.
   */
  several: "oldest-match" | "refuse";
}

/** A user whose password matched. */
export interface AuthenticatedUser {
  id: number;
  tenantId: number;
  username: string;
  email: string | null;
  roles: string[];
}

/** The answer to a login attempt; failures never say whether the user exists. */
export type LoginOutcome =
  | { outcome: "ok"; user: AuthenticatedUser }
  | { outcome: "failed" }
  | { outcome: "locked" }
  | { outcome: "ambiguous" };

interface Candidate extends AuthenticatedUser {
  passwordHash: string;
  lockedUntil: Date | null;
}

// An unknown login still costs one scrypt, so response time does not tell who has an account.
let decoyHash: Promise<string> | undefined;

/**
 * Checks a login and password against the users table. A failure counts against every candidate and the
 * attempt that reaches the limit already answers `locked`; a locked account answers `locked` to every
 * password until the lock ends. Counter and lock live on the user row, so restarts forget nothing.
 */
export async function checkLogin(
  db: Kysely<Database>,
  request: LoginRequest,
  password: string,
  now = new Date(),
): Promise<LoginOutcome> {
  const candidates = await findCandidates(db, request);
  if (candidates.length === 0) {
    decoyHash ??= hashPassword("decoy password nobody has");
    await verifyPassword(password, await decoyHash);
    return { outcome: "failed" };
  }
  // Every candidate costs its scrypt, so timing does not tell which of them matched.
  const matches: Candidate[] = [];
  for (const candidate of candidates)
    if (await verifyPassword(password, candidate.passwordHash)) matches.push(candidate);
  if (matches.length > 0) {
    if (request.several === "refuse" && candidates.length > 1) return { outcome: "ambiguous" };
    const winner = matches.find((c) => !(c.lockedUntil && c.lockedUntil > now));
    if (!winner) return { outcome: "locked" };
    await resetFailures(db, winner);
    const { passwordHash: _hash, lockedUntil: _lock, ...user } = winner;
    return { outcome: "ok", user };
  }
  let lockedCount = 0;
  for (const candidate of candidates) if (await recordFailure(db, candidate, now)) lockedCount += 1;
  return lockedCount === candidates.length ? { outcome: "locked" } : { outcome: "failed" };
}

/** Users the login may name: enabled, with a password, oldest first. */
async function findCandidates(db: Kysely<Database>, request: LoginRequest): Promise<Candidate[]> {
  const slash = request.tenantPrefix ? request.login.indexOf("\\") : -1;
  const tenantName = slash >= 0 ? request.login.slice(0, slash).trim().toLowerCase() : undefined;
  const name = (slash >= 0 ? request.login.slice(slash + 1) : request.login).trim().toLowerCase();
  let query = db
    .selectFrom("users")
    .innerJoin("tenants", "tenants.id", "users.tenantId")
    .select([
      "users.id",
      "users.tenantId",
      "users.username",
      "users.email",
      "users.roles",
      "users.passwordHash",
      "users.lockedUntil",
    ])
    .where("users.disabled", "=", false)
    .where("users.passwordHash", "is not", null)
    .where((eb) =>
      eb.or([
        ...(request.lookup !== "email" ? [eb(sql`lower(users.username)`, "=", name)] : []),
        ...(request.lookup !== "username" ? [eb(sql`lower(users.email)`, "=", name)] : []),
      ]),
    )
    .orderBy("users.tenantId")
    .orderBy("users.id");
  if (tenantName !== undefined) query = query.where(sql`lower(tenants.name)`, "=", tenantName);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: Number(r.id),
    tenantId: Number(r.tenantId),
    username: r.username,
    email: r.email,
    roles: r.roles,
    passwordHash: r.passwordHash as string,
    lockedUntil: r.lockedUntil,
  }));
}

async function resetFailures(db: Kysely<Database>, user: Candidate): Promise<void> {
  // Most logins have nothing to reset; the filter spares them a row write.
  await db
    .updateTable("users")
    .set({ failedLoginCount: 0, failedLoginWindowStart: null, lockedUntil: null })
    .where("tenantId", "=", user.tenantId)
    .where("id", "=", user.id)
    .where((eb) =>
      eb.or([
        eb("failedLoginCount", "<>", 0),
        eb("failedLoginWindowStart", "is not", null),
        eb("lockedUntil", "is not", null),
      ]),
    )
    .execute();
}

/** Counts one failed login on an account; answers whether the account is locked afterwards. */
async function recordFailure(db: Kysely<Database>, user: Candidate, now: Date): Promise<boolean> {
  const windowStart = new Date(now.getTime() - failureWindowMs);
  const lockEnd = new Date(now.getTime() + lockDurationMs);
  // One statement: PostgreSQL re-reads a row another transaction just updated before applying the SET,
  // so concurrent guesses each count. Every CASE sees the row as it was before this update. Guesses at a
  // locked account do not count, so hammering it does not extend the lock.
  const result = await sql<{ lockedUntil: Date | null }>`
    update users set
      failed_login_count = case
        when locked_until > ${now} then failed_login_count
        when failed_login_window_start > ${windowStart} and failed_login_count + 1 >= ${maxFailedLogins} then 0
        when failed_login_window_start > ${windowStart} then failed_login_count + 1
        else 1 end,
      failed_login_window_start = case
        when locked_until > ${now} then failed_login_window_start
        when failed_login_window_start > ${windowStart} and failed_login_count + 1 >= ${maxFailedLogins} then null
        when failed_login_window_start > ${windowStart} then failed_login_window_start
        else ${now} end,
      locked_until = case
        when locked_until > ${now} then locked_until
        when failed_login_window_start > ${windowStart} and failed_login_count + 1 >= ${maxFailedLogins} then ${lockEnd}
        else null end
    where tenant_id = ${user.tenantId} and id = ${user.id}
    returning locked_until`.execute(db);
  const lockedUntil = result.rows[0]?.lockedUntil;
  return lockedUntil != null && new Date(lockedUntil) > now;
}
