// `Idempotency-Key` for a streamed upload (POST /api/v1/imports). The generic hook (idempotency.ts) hashes
// a parsed JSON body before the handler runs; an upload is a stream of up to a GiB, never held whole, so its
// hash is only known once its last byte has passed. The key is therefore claimed before the upload is
// read (a run may start writing rows while the file arrives), the bytes are hashed as they stream, and the
// hash is stored with the answer. A repeat is hashed the same way while its bytes are read past, unstored,
// and compared at their end: the same upload replays the first answer, another one is a 422.
import { createHash, type Hash } from "node:crypto";
import { sql } from "kysely";
import { TributaryError } from "../core/errors.js";
import type { Store } from "../store/database.js";
import { canonicalJson, storedIdempotencyKey, windowHours } from "./idempotency.js";

/** The request hash a key holds while its upload is still arriving (a real hash is 64 hex digits). */
const pendingUpload = "upload-pending";

/**
 * The request hash of an upload whose job ended before its bytes were all read (cancelled while they
 * arrived): the rest was never hashed, so a repeat cannot be compared, and replays that answer whatever it sends.
 */
export const unreadUpload = "upload-not-read-whole";

// A claimed key's upload moves its clock at most this often; one whose clock stood still this long lost its
// server mid-upload (the interrupted-uploads sweep waits as long) and may be claimed again.
const touchEveryMs = 60_000;
const abandonedAfterSeconds = 15 * 60;

/** What a key holds for a new upload: nothing yet (this request now holds it), a first one still arriving, or its answer. */
export type UploadKeyClaim =
  | { kind: "claimed" }
  | { kind: "in-flight" }
  | {
      kind: "answered";
      requestHash: string;
      statusCode: number;
      contentType: string | null;
      responseBody: string | null;
    };

/** The request's Idempotency-Key, or undefined without one; over 255 characters is refused as elsewhere. */
export function idempotencyKeyOf(headers: Record<string, unknown>): string | undefined {
  const key = headers["idempotency-key"];
  if (typeof key !== "string" || key === "") return undefined;
  if (key.length > 255)
    throw new TributaryError("REQUEST_BODY_INVALID", "Idempotency-Key is longer than 255 characters");
  return key;
}

/** Claims a key for an upload about to be read, unless a first request holds it (or answered it). */
export async function claimUploadKey(store: Store, tenantId: number, key: string): Promise<UploadKeyClaim> {
  await sql`delete from idempotency_keys where tenant_id = ${tenantId} and key = ${key} and created_at < now() - make_interval(hours => ${windowHours})`.execute(
    store.db,
  );
  const claimed = await sql`
    insert into idempotency_keys (tenant_id, key, request_hash) values (${tenantId}, ${key}, ${pendingUpload})
    on conflict (tenant_id, key) do update set created_at = now()
      where idempotency_keys.status_code is null and idempotency_keys.request_hash = ${pendingUpload}
        and idempotency_keys.created_at < now() - make_interval(secs => ${abandonedAfterSeconds})
    returning key`.execute(store.db);
  if (claimed.rows.length === 1) return { kind: "claimed" };
  const stored = await storedIdempotencyKey(store, tenantId, key);
  // Expired and deleted by another request in between: this one may take it.
  if (!stored) return claimUploadKey(store, tenantId, key);
  if (stored.statusCode === null) return { kind: "in-flight" };
  return {
    kind: "answered",
    requestHash: stored.requestHash,
    statusCode: stored.statusCode,
    contentType: stored.contentType,
    responseBody: stored.responseBody,
  };
}

/** Stores the first upload's hash and answer: later requests with its key replay or refuse against them. */
export async function recordUploadAnswer(
  store: Store,
  tenantId: number,
  key: string,
  answer: { requestHash: string; statusCode: number; contentType: string; body: string },
): Promise<void> {
  await store.db
    .updateTable("idempotencyKeys")
    .set({
      requestHash: answer.requestHash,
      statusCode: answer.statusCode,
      contentType: answer.contentType,
      responseBody: answer.body,
    })
    .where("tenantId", "=", tenantId)
    .where("key", "=", key)
    .execute();
}

/**
 * Gives up a claim whose upload was refused or broke off: it stored nothing, so there is nothing to replay,
 * and the client may send the file again, fixed or whole, with the same key.
 */
export async function releaseUploadKey(store: Store, tenantId: number, key: string): Promise<void> {
  await store.db
    .deleteFrom("idempotencyKeys")
    .where("tenantId", "=", tenantId)
    .where("key", "=", key)
    .where("statusCode", "is", null)
    .execute();
}

/**
 * An upload's bytes, hashed as they pass, and the hash of the whole request once they have: the route and
 * the effective options (query string and form fields, as the job would take them, keys in any order) and
 * the bytes. A multipart retry whose boundary differs is the same request. While the bytes pass, the claimed
 * key's clock moves (once a minute), so a long upload's key is not taken for an abandoned one.
 */
export class UploadHash {
  readonly #bytes: Hash = createHash("sha256");
  #lastTouch = Date.now();
  #whole = false;

  constructor(
    private readonly store: Store,
    private readonly tenantId: number,
    private readonly key: string,
  ) {}

  async *pass(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const piece of body) {
      this.#bytes.update(piece);
      if (Date.now() - this.#lastTouch >= touchEveryMs) {
        this.#lastTouch = Date.now();
        await sql`update idempotency_keys set created_at = now()
          where tenant_id = ${this.tenantId} and key = ${this.key} and status_code is null`.execute(
          this.store.db,
        );
      }
      yield piece;
    }
    this.#whole = true;
  }

  /** The request's hash, once every byte has passed (`unreadUpload` if the reading stopped before). */
  requestHash(route: string, options: unknown): string {
    if (!this.#whole) return unreadUpload;
    return createHash("sha256")
      .update(`${route}\n${canonicalJson(options)}\n`)
      .update(this.#bytes.digest("hex"))
      .digest("hex");
  }
}
