import type { FastifyInstance } from "fastify";
import { readConfig } from "../../src/config.js";
import { buildApp } from "../../src/http/app.js";
import { issueToken } from "../../src/store/api-tokens.js";
import { createTenant, type Tenant } from "../../src/store/tenants.js";
import { openTestStore, type TestStore } from "./test-store.js";

export interface TestApp {
  app: FastifyInstance;
  store: TestStore;
  tenant: Tenant;
  /** a token of the tenant with the given roles */
  token(roles?: string[], tenantId?: number): Promise<string>;
  close(): Promise<void>;
}

/** A server on a fresh store with one tenant, driven through app.inject(). */
export async function openTestApp(
  engine: "pglite" | "postgres",
  label: string,
  configOverrides = {},
): Promise<TestApp> {
  const store = await openTestStore(engine, label);
  const app = await buildApp({ store, config: readConfig({}, { ...configOverrides }) });
  await app.ready();
  const tenant = await createTenant(store.db, `Tenant ${label}`);
  return {
    app,
    store,
    tenant,
    token: async (roles = ["contacts:write"], tenantId = tenant.id) =>
      (await issueToken(store.db, { tenantId, roles })).token,
    async close() {
      await app.close();
      await store.dispose();
    },
  };
}

let counter = 0;

/** A native contact input with unique identity, overridable field by field. */
export function nativeContact(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    identifiers: { external_id: `EXT-${process.pid}-${counter}` },
    givenName: "Ada",
    surname: `Lovelace-${counter}`,
    email: `ada.${counter}@example.org`,
    ...overrides,
  };
}
