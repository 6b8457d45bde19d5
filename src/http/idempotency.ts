import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sql } from "kysely";
import { TributaryError } from "../core/errors.js";
import type { Store } from "../store/database.js";
import { principalOf } from "./principal.js";

/** How long a key replays its first answer. */
export const windowHours = 24;

declare module "fastify" {
  interface FastifyRequest {
    idempotencyKey?: string;
  }
}

/**
 * The body as JSON with every object's keys sorted: a retry that serialises the same request with its
 * keys in another order (another client library, a rebuilt map) is the same request.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(",")}}`;
}

/** What a tenant's key holds: its request's hash and, once answered, the answer; undefined when unused. */
export function storedIdempotencyKey(store: Store, tenantId: number, key: string) {
  return store.db
    .selectFrom("idempotencyKeys")
    .selectAll()
    .where("tenantId", "=", tenantId)
    .where("key", "=", key)
    .executeTakeFirst();
}

/**
 * `Idempotency-Key` on POST: the same key and body (whatever its key order) within 24 h replays the first answer and writes
 * nothing; the same key with another body is a 422; a key whose first request still runs is a 409.
 * Register after authentication, inside the scope whose routes it guards.
 */
export function registerIdempotency(app: FastifyInstance, store: Store): void {
  app.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers["idempotency-key"];
    if (request.method !== "POST" || typeof key !== "string" || key === "") return;
    if (key.length > 255)
      throw new TributaryError("REQUEST_BODY_INVALID", "Idempotency-Key is longer than 255 characters");
    const { tenantId } = principalOf(request);
    const hash = createHash("sha256")
      .update(`${request.method} ${request.url}\n`)
      .update(canonicalJson(request.body ?? null))
      .digest("hex");
    // Forget expired keys lazily, one key at a time, so no sweeper is needed.
    await sql`delete from idempotency_keys where tenant_id = ${tenantId} and key = ${key} and created_at < now() - make_interval(hours => ${windowHours})`.execute(
      store.db,
    );
    const inserted =
      await sql`insert into idempotency_keys (tenant_id, key, request_hash) values (${tenantId}, ${key}, ${hash}) on conflict do nothing returning key`.execute(
        store.db,
      );
    if (inserted.rows.length === 1) {
      request.idempotencyKey = key;
      return;
    }
    const stored = await storedIdempotencyKey(store, tenantId, key);
    if (!stored) return;
    if (stored.requestHash !== hash)
      throw new TributaryError(
        "IDEMPOTENCY_KEY_REUSED",
        `Idempotency-Key '${key}' was first used with another request`,
      );
    if (stored.statusCode === null)
      throw new TributaryError(
        "IDEMPOTENCY_KEY_IN_FLIGHT",
        `The first request with Idempotency-Key '${key}' is still running`,
      );
    reply.header("idempotent-replayed", "true");
    reply.header("content-type", stored.contentType ?? "application/json; charset=utf-8");
    return reply.status(stored.statusCode).send(stored.responseBody);
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const key = request.idempotencyKey;
    if (!key) return payload;
    const { tenantId } = principalOf(request);
    if (reply.statusCode >= 500) {
      // A failed first attempt must not pin its failure: the client may retry with the same key.
      await store.db
        .deleteFrom("idempotencyKeys")
        .where("tenantId", "=", tenantId)
        .where("key", "=", key)
        .execute();
      return payload;
    }
    await store.db
      .updateTable("idempotencyKeys")
      .set({
        statusCode: reply.statusCode,
        contentType: String(reply.getHeader("content-type") ?? ""),
        responseBody: typeof payload === "string" ? payload : String(payload ?? ""),
      })
      .where("tenantId", "=", tenantId)
      .where("key", "=", key)
      .execute();
    return payload;
  });
}
