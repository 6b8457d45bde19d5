import { type Kysely, sql } from "kysely";
import { hashPassword, verifyPassword } from "../../auth/password-hash.js";
import { TributaryError } from "../../core/errors.js";
import type { Database } from "../../store/schema.js";

/** Failed sign-ins within the window that lock an account, and how long the lock lasts. */
export const maxFailedSignIns = 5;
export const failureWindowSeconds = 15 * 60;
export const lockSeconds = 15 * 60;

/** A user whose user name and password matched. */
export interface SignedInUser {
  id: number;
  tenantId: number;
  userName: string;
  roles: string[];
}

// An unknown user still costs one scrypt, so timing does not tell who has an account.
let decoyHash: Promise<string> | undefined;

/**
 * Checks a ServiceStack `userName` and password. User names are unique per tenant only, so a user name
 * may be written `tenant\user`; a bare one (or an email) is looked up across tenants and refused when
 * it names users of more than one tenant.
 */
export async function signIn(
  db: Kysely<Database>,
  userName: string,
  password: string,
  now = new Date(),
): Promise<SignedInUser> {
  const slash = userName.indexOf("\\");
  const tenantName = slash >= 0 ? userName.slice(0, slash).trim().toLowerCase() : undefined;
  const name = (slash >= 0 ? userName.slice(slash + 1) : userName).trim().toLowerCase();
  let query = db
    .selectFrom("users")
    .innerJoin("tenants", "tenants.id", "users.tenantId")
    .select([
      "users.id",
      "users.tenantId",
      "users.username",
      "users.roles",
      "users.passwordHash",
      "users.lockedUntil",
    ])
    .where("users.disabled", "=", false)
    .where("users.passwordHash", "is not", null)
    .where((eb) => eb.or([eb(sql`lower(users.username)`, "=", name), eb(sql`lower(users.email)`, "=", name)]))
    .orderBy("users.tenantId")
    .orderBy("users.id");
  if (tenantName !== undefined) query = query.where(sql`lower(tenants.name)`, "=", tenantName);
  const candidates = await query.execute();
  if (candidates.length === 0) {
    decoyHash ??= hashPassword("decoy password nobody has");
    await verifyPassword(password, await decoyHash);
    throw new TributaryError("AUTH_LOGIN_FAILED");
  }
  const matches = [];
  for (const candidate of candidates)
    if (await verifyPassword(password, candidate.passwordHash as string)) matches.push(candidate);
  if (matches.length === 0) {
    for (const candidate of candidates)
      await recordFailure(db, Number(candidate.tenantId), Number(candidate.id), now);
    throw new TributaryError("AUTH_LOGIN_FAILED");
  }
  // Only someone who knows the password learns that the name is ambiguous.
  if (candidates.length > 1)
    throw new TributaryError(
      "AUTH_LOGIN_FAILED",
      `UserName '${userName}' names more than one user; write it as tenant\\user`,
    );
  const user = matches[0];
  if (user.lockedUntil && user.lockedUntil > now) throw new TributaryError("AUTH_ACCOUNT_LOCKED");
  await db
    .updateTable("users")
    .set({ failedLoginCount: 0, failedLoginWindowStart: null, lockedUntil: null })
    .where("tenantId", "=", user.tenantId)
    .where("id", "=", user.id)
    .execute();
  return { id: Number(user.id), tenantId: Number(user.tenantId), userName: user.username, roles: user.roles };
}

/** Counts one failed sign-in in the database (a restart forgets nothing) and locks after too many. */
async function recordFailure(db: Kysely<Database>, tenantId: number, id: number, now: Date): Promise<void> {
  const windowStart = new Date(now.getTime() - failureWindowSeconds * 1000);
  // One statement, so parallel guesses each count.
  const row = await sql<{ failedLoginCount: number }>`
    update users set
      failed_login_count = case when failed_login_window_start > ${windowStart} then failed_login_count + 1 else 1 end,
      failed_login_window_start = case when failed_login_window_start > ${windowStart} then failed_login_window_start else ${now} end
    where tenant_id = ${tenantId} and id = ${id}
    returning failed_login_count`.execute(db);
  if ((row.rows[0]?.failedLoginCount ?? 0) >= maxFailedSignIns) {
    await db
      .updateTable("users")
      .set({
        failedLoginCount: 0,
        failedLoginWindowStart: null,
        lockedUntil: new Date(now.getTime() + lockSeconds * 1000),
      })
      .where("tenantId", "=", tenantId)
      .where("id", "=", id)
      .execute();
  }
}
