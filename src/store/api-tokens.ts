import type { Kysely } from "kysely";
import { hashToken, newTokenSecret, tokenTenant } from "../auth/token-secret.js";
import { TributaryError } from "../core/errors.js";
import type { Database } from "./schema.js";
import { findUserByUsername } from "./users.js";

export interface TokenPrincipal {
  tokenId: number;
  tenantId: number;
  userId: number | null;
  roles: string[];
  kind: string;
}

/** Issues a token and answers it once; only its hash is stored. */
export async function issueToken(
  db: Kysely<Database>,
  options: {
    tenantId: number;
    userId?: number | null;
    roles: string[];
    kind?: string;
    expiresAt?: Date | null;
    idleTimeoutSeconds?: number | null;
  },
): Promise<{ id: number; token: string }> {
  const { token, hash } = newTokenSecret(options.tenantId);
  const row = await db
    .insertInto("apiTokens")
    .values({
      tenantId: options.tenantId,
      userId: options.userId ?? null,
      tokenHash: hash,
      kind: options.kind ?? "api",
      roles: options.roles,
      expiresAt: options.expiresAt ?? null,
      idleTimeoutSeconds: options.idleTimeoutSeconds ?? null,
      lastUsedAt: new Date(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id: Number(row.id), token };
}

/** Resolves a presented token to its principal, or undefined when unknown, revoked or expired; slides idle expiry. */
export async function authenticateToken(
  db: Kysely<Database>,
  token: string,
  now = new Date(),
): Promise<TokenPrincipal | undefined> {
  const tenantId = tokenTenant(token);
  if (tenantId === null) return undefined;
  const row = await db
    .selectFrom("apiTokens")
    .select([
      "id",
      "tenantId",
      "userId",
      "roles",
      "kind",
      "expiresAt",
      "revokedAt",
      "idleTimeoutSeconds",
      "lastUsedAt",
    ])
    .where("tenantId", "=", tenantId)
    .where("tokenHash", "=", hashToken(token))
    .executeTakeFirst();
  if (!row || row.revokedAt) return undefined;
  if (row.expiresAt && row.expiresAt <= now) return undefined;
  if (
    row.idleTimeoutSeconds &&
    row.lastUsedAt &&
    row.lastUsedAt.getTime() + row.idleTimeoutSeconds * 1000 <= now.getTime()
  )
    return undefined;
  // Refresh last use at most every few seconds: a write per request would serialise hot clients on one row.
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 5_000) {
    await db
      .updateTable("apiTokens")
      .set({ lastUsedAt: now })
      .where("tenantId", "=", tenantId)
      .where("id", "=", row.id)
      .execute();
  }
  return {
    tokenId: Number(row.id),
    tenantId: Number(row.tenantId),
    userId: row.userId === null ? null : Number(row.userId),
    roles: row.roles,
    kind: row.kind,
  };
}

/** Revokes a token by id; answers whether a live token was revoked. */
export async function revokeToken(db: Kysely<Database>, id: number, tenantId?: number): Promise<boolean> {
  let query = db
    .updateTable("apiTokens")
    .set({ revokedAt: new Date() })
    .where("id", "=", id)
    .where("revokedAt", "is", null);
  if (tenantId !== undefined) query = query.where("tenantId", "=", tenantId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A token as an admin sees it: never its secret nor its hash. */
export interface TokenListing {
  id: number;
  kind: string;
  roles: string[];
  /** the user it acts for, by user name */
  user: string | null;
  state: "live" | "expired" | "revoked";
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** The tenant's tokens, oldest first. */
export async function listTenantTokens(
  db: Kysely<Database>,
  tenantId: number,
  now = new Date(),
): Promise<TokenListing[]> {
  const rows = await db
    .selectFrom("apiTokens")
    .leftJoin("users", (join) =>
      join.onRef("users.tenantId", "=", "apiTokens.tenantId").onRef("users.id", "=", "apiTokens.userId"),
    )
    .select([
      "apiTokens.id",
      "apiTokens.kind",
      "apiTokens.roles",
      "users.username",
      "apiTokens.createdAt",
      "apiTokens.expiresAt",
      "apiTokens.lastUsedAt",
      "apiTokens.revokedAt",
    ])
    .where("apiTokens.tenantId", "=", tenantId)
    .orderBy("apiTokens.id")
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    roles: r.roles,
    user: r.username ?? null,
    state: r.revokedAt ? "revoked" : r.expiresAt && r.expiresAt <= now ? "expired" : "live",
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
  }));
}

/**
 * Issues an API token of a tenant as the API and the CLI do: for one of its users by name (an unknown
 * name is a REQUEST_BODY_INVALID naming `user`), expiring after some days or never, each role once.
 */
export async function issueTenantToken(
  db: Kysely<Database>,
  tenantId: number,
  options: { roles: string[]; username?: string; expiresInDays?: number },
): Promise<{ id: number; token: string; roles: string[]; expiresAt: Date | null }> {
  let userId: number | null = null;
  if (options.username !== undefined) {
    const user = await findUserByUsername(db, tenantId, options.username);
    if (!user)
      throw new TributaryError("REQUEST_BODY_INVALID", `No user '${options.username}' in this tenant`, [
        { code: "REQUEST_BODY_INVALID", field: "user", message: "unknown user" },
      ]);
    userId = user.id;
  }
  const roles = [...new Set(options.roles)];
  const expiresAt = options.expiresInDays ? new Date(Date.now() + options.expiresInDays * 86_400_000) : null;
  const issued = await issueToken(db, { tenantId, userId, roles, expiresAt });
  return { ...issued, roles, expiresAt };
}
