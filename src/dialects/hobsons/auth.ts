// Authentication as a Hobsons Connect client does it: `POST api/token` with the OAuth2 password grant,
// then `Authorization: Bearer`. Decisions (role, tenant in the user name, lockout) in docs/dialects/hobsons.md.
import type { FastifyRequest } from "fastify";
import { checkLogin } from "../../auth/check-login.js";
import { TributaryError } from "../../core/errors.js";
import { bearerToken } from "../../http/bearer-token.js";
import { hasRole } from "../../http/principal.js";
import { authenticateToken, issueToken } from "../../store/api-tokens.js";
import type { Store } from "../../store/database.js";

/** The role a user or API token needs for the Hobsons routes (admin always passes). */
export const hobsonsRole = "HobsonsApiUser";

/** How long an access token from `api/token` lives. */
export const accessTokenSeconds = 24 * 60 * 60;

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

  const result = await checkLogin(
    store.db,
    { login: username, lookup: "username", tenantPrefix: true, several: "refuse" },
    password,
    now,
  );
  if (result.outcome === "ambiguous")
    throw new OAuthError(
      "invalid_grant",
      "Several institutions have a user of this name; sign in as 'Institution name\\user name'.",
    );
  if (result.outcome === "locked")
    throw new OAuthError(
      "invalid_grant",
      "The account is locked after too many failed sign-ins; try again later.",
    );
  if (result.outcome === "failed")
    throw new OAuthError("invalid_grant", "The user name or password is incorrect.");
  const { user } = result;
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
