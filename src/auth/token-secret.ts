import { createHash, randomBytes } from "node:crypto";

// Tokens read `trb_<tenantId>_<43 chars>`: 32 random bytes, with the tenant id in clear so the lookup
// can use the (tenant_id, token_hash) index that leads with the tenant, like every index here.
const tokenPattern = /^trb_(\d{1,15})_([A-Za-z0-9_-]{43})$/;

/** A new random token for a tenant, and the hash that is all the database keeps. */
export function newTokenSecret(tenantId: number): { token: string; hash: Buffer } {
  const token = `trb_${tenantId}_${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashToken(token) };
}

/** SHA-256 of the whole token: tokens are high-entropy, so a fast hash is enough (no salt needed). */
export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** The tenant a token claims, or null when it is not shaped like a Tributary token. */
export function tokenTenant(token: string): number | null {
  const m = tokenPattern.exec(token);
  return m ? Number(m[1]) : null;
}
