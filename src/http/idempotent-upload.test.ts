import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../test/helpers/test-store.js";
import { createTenant } from "../store/tenants.js";
import {
  claimUploadKey,
  recordUploadAnswer,
  releaseUploadKey,
  UploadHash,
  unreadUpload,
} from "./idempotent-upload.js";

async function passAll(hash: UploadHash, parts: string[]): Promise<void> {
  async function* body() {
    for (const part of parts) yield Buffer.from(part);
  }
  for await (const _ of hash.pass(body())) {
  }
}

describe.each(testEngines)("Idempotency-Key claims for uploads on %s", (engine) => {
  let store: TestStore;
  let tenantId: number;
  beforeAll(async () => {
    store = await openTestStore(engine, "idempotent_upload");
    tenantId = (await createTenant(store.db, "Keys")).id;
  });
  afterAll(() => store.dispose());

  it("a key is claimed once; a second request meanwhile is in flight; a released key is free again", async () => {
    expect(await claimUploadKey(store, tenantId, "k1")).toEqual({ kind: "claimed" });
    expect(await claimUploadKey(store, tenantId, "k1")).toEqual({ kind: "in-flight" });
    await releaseUploadKey(store, tenantId, "k1");
    expect(await claimUploadKey(store, tenantId, "k1")).toEqual({ kind: "claimed" });
  });

  it("an answered key answers its hash and answer, and is never released", async () => {
    expect((await claimUploadKey(store, tenantId, "k2")).kind).toBe("claimed");
    await recordUploadAnswer(store, tenantId, "k2", {
      requestHash: "h",
      statusCode: 202,
      contentType: "application/json; charset=utf-8",
      body: '{"id":7}',
    });
    await releaseUploadKey(store, tenantId, "k2");
    expect(await claimUploadKey(store, tenantId, "k2")).toEqual({
      kind: "answered",
      requestHash: "h",
      statusCode: 202,
      contentType: "application/json; charset=utf-8",
      responseBody: '{"id":7}',
    });
  });

  it("a claim whose upload stopped moving for 15 minutes (its server died) may be claimed again", async () => {
    expect((await claimUploadKey(store, tenantId, "k3")).kind).toBe("claimed");
    await sql`update idempotency_keys set created_at = now() - interval '14 minutes' where key = 'k3'`.execute(
      store.db,
    );
    expect((await claimUploadKey(store, tenantId, "k3")).kind).toBe("in-flight");
    await sql`update idempotency_keys set created_at = now() - interval '16 minutes' where key = 'k3'`.execute(
      store.db,
    );
    expect((await claimUploadKey(store, tenantId, "k3")).kind).toBe("claimed");
  });

  it("hashes the bytes whatever their cut, with the options; an upload not read whole has no hash", async () => {
    const whole = async (parts: string[], options: unknown) => {
      const hash = new UploadHash(store, tenantId, "k4");
      await passAll(hash, parts);
      return hash.requestHash("POST /x", options);
    };
    const a = await whole(["email\na@", "example.org\n"], { dryRun: false, shape: "native" });
    expect(await whole(["email\na@example.org\n"], { shape: "native", dryRun: false })).toBe(a);
    expect(await whole(["email\na@example.org\n"], { shape: "native", dryRun: true })).not.toBe(a);
    expect(await whole(["email\nb@example.org\n"], { shape: "native", dryRun: false })).not.toBe(a);
    expect(new UploadHash(store, tenantId, "k4").requestHash("POST /x", {})).toBe(unreadUpload);
  });
});
