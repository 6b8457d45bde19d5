// Authentication as a Hobsons Connect client does it: `POST api/token` with the OAuth2 password grant,
// then `Authorization: Bearer`. Decisions (role, tenant in the user name, lockout) in docs/dialects/hobsons.md.
import type { FastifyRequest } from "fastify";
import { sql } from "kysely";
import { verifyPassword } from "../../auth/password-hash.js";
import { TributaryError } from "../../core/errors.js";
import { bearerToken } from "../../http/bearer-token.js";
import { hasRole } from "../../http/principal.js";
import { authenticateToken, issueToken } from "../../store/api-tokens.js";
import type { Store } from "../../store/database.js";

/** The role a user or API token needs for the Hobsons routes (admin always passes). */
export const hobsonsRole = "HobsonsApiUser";

/** How long an access token from `api/token` lives. */
export const accessTokenSeconds = 24 * 60 * 60;

// Failed sign-ins: this many within the window lock the account for the lock time (the counter and the
// lock live on the user row, so they survive restarts and are shared by every server).
const maxFailedSignIns = 5;
const failureWindowMs = 15 * 60 * 1000;
const lockMs = 15 * 60 * 1000;

/** An onRequest hook admitting a Bearer token that holds the Hobsons role; runs before the body is read. */
export function requireHobsonsToken(store: Store) {
  return async (request: FastifyRequest) => {
    const token = bearerToken(request);
    if (!token) throw new TributaryError("AUTH_MISSING");
    const principal = await authenticateToken(store.db, token);
    if (!principal) throw new TributaryError("AUTH_INVALID");
    if (!hasRole(principal, [hobsonsRole]))
      throw new TributaryError("AUTH_FORBIDDEN", `This operation needs the role ${hobsonsRole} or admin`);
    request.principal = principal;
  };
}

/** An OAuth2 error answer (RFC 6749 §5.2), as Katana's authorization server writes it. */
export class OAuthError extends Error {
  constructor(
    readonly error: "invalid_request" | "invalid_grant" | "unsupported_grant_type",
    readonly description?: string,
  ) {
    super(description ?? error);
  }
}

export interface GrantedToken {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  userName: string;
  ".issued": string;
  ".expires": string;
}

interface Candidate {
  id: number;
  tenantId: number;
  username: string;
  roles: string[];
  passwordHash: string | null;
  disabled: boolean;
  failedLoginCount: number;
  lockedUntil: Date | null;
}

/**
 * The password grant: `username` is a user name unique across tenants, or `Tenant name\username` when
 * several tenants have a user of that name. Answers a token with the user's roles.
 */
export async function grantPasswordToken(
  store: Store,
  form: Record<string, unknown>,
  now = new Date(),
): Promise<GrantedToken> {
  const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : undefined);
  const grantType = field("grant_type");
  if (grantType === undefined) throw new OAuthError("invalid_request", "grant_type is required");
  if (grantType !== "password") throw new OAuthError("unsupported_grant_type");
  const username = field("username");
  const password = field("password");
  if (!username || password === undefined)
    throw new OAuthError("invalid_request", "username and password are required");

  const incorrect = new OAuthError("invalid_grant", "The user name or password is incorrect.");
  const candidates = await findCandidates(store, username);
  if (candidates.length > 1)
    throw new OAuthError(
      "invalid_grant",
      "Several institutions have a user of this name; sign in as 'Institution name\\user name'.",
    );
  const user = candidates[0];
  if (!user || user.disabled || !user.passwordHash) throw incorrect;
  if (user.lockedUntil && user.lockedUntil > now)
    throw new OAuthError(
      "invalid_grant",
      "The account is locked after too many failed sign-ins; try again later.",
    );
  if (!(await verifyPassword(password, user.passwordHash))) {
    await recordFailure(store, user, now);
    throw incorrect;
  }
  if (user.failedLoginCount > 0 || user.lockedUntil) {
    await store.db
      .updateTable("users")
      .set({ failedLoginCount: 0, failedLoginWindowStart: null, lockedUntil: null })
      .where("tenantId", "=", user.tenantId)
      .where("id", "=", user.id)
      .execute();
  }
  const expires = new Date(now.getTime() + accessTokenSeconds * 1000);
  const { token } = await issueToken(store.db, {
    tenantId: user.tenantId,
    userId: user.id,
    roles: user.roles,
    kind: "hobsons",
    expiresAt: expires,
  });
  return {
    access_token: token,
    token_type: "bearer",
    expires_in: accessTokenSeconds,
    userName: user.username,
    ".issued": now.toUTCString(),
    ".expires": expires.toUTCString(),
  };
}

async function findCandidates(store: Store, login: string): Promise<Candidate[]> {
  const slash = login.indexOf("\\");
  const tenantName = slash >= 0 ? login.slice(0, slash).trim() : undefined;
  const username = (slash >= 0 ? login.slice(slash + 1) : login).trim().toLowerCase();
  let query = store.db
    .selectFrom("users")
    .innerJoin("tenants", "tenants.id", "users.tenantId")
    .select([
      "users.id",
      "users.tenantId",
      "users.username",
      "users.roles",
      "users.passwordHash",
      "users.disabled",
      "users.failedLoginCount",
      "users.lockedUntil",
    ])
    .where(sql`lower(users.username)`, "=", username);
  if (tenantName !== undefined) query = query.where(sql`lower(tenants.name)`, "=", tenantName.toLowerCase());
  const rows = await query.limit(2).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), tenantId: Number(r.tenantId) }));
}

async function recordFailure(store: Store, user: Candidate, now: Date) {
  // One statement, so concurrent wrong guesses all count.
  const windowStart = new Date(now.getTime() - failureWindowMs);
  await sql`
    update users set
      failed_login_count = case when failed_login_window_start > ${windowStart} then failed_login_count + 1 else 1 end,
      failed_login_window_start = case when failed_login_window_start > ${windowStart} then failed_login_window_start else ${now} end,
      locked_until = case when failed_login_window_start > ${windowStart} and failed_login_count + 1 >= ${maxFailedSignIns}
        then ${new Date(now.getTime() + lockMs)} else locked_until end
    where tenant_id = ${user.tenantId} and id = ${user.id}`.execute(store.db);
}
