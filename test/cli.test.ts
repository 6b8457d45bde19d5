import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../src/auth/password-hash.js";
import { authenticateToken } from "../src/store/api-tokens.js";
import { latestSchemaVersion, openStore } from "../src/store/database.js";
import { openTestStore, testDatabaseUrl } from "./helpers/test-store.js";

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), "tributary-cli-"));
const env = { ...process.env, TRIBUTARY_DATA: dataDir, DATABASE_URL: "" };

function cli(args: string[], input?: string, extraEnv: Record<string, string> = {}) {
  const child = run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    env: { ...env, ...extraEnv },
    timeout: 60_000,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return child;
}

describe("tributary CLI on the embedded engine", () => {
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("creates a tenant, a user and a token, printing only the asked-for values; revokes the token", async () => {
    const tenant = await cli(["tenant", "create", "Riverside College"]);
    expect(tenant.stdout).toMatch(/^\d+\n$/);
    const dup = await cli(["tenant", "create", "riverside college"]).catch((e) => e);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("exists already");

    const user = await cli(
      [
        "user",
        "create",
        "--tenant",
        "Riverside College",
        "--username",
        "ada@example.org",
        "--role",
        "admin",
        "--role",
        "REGISUserRole",
        "--password-stdin",
      ],
      "correct horse battery\n",
    );
    expect(user.stdout).toMatch(/^\d+\n$/);

    const token = await cli([
      "token",
      "create",
      "--tenant",
      "Riverside College",
      "--user",
      "ada@example.org",
      "--role",
      "contacts:write",
    ]);
    expect(token.stdout).toMatch(/^trb_\d+_[A-Za-z0-9_-]{43}\n$/);
    const tokenId = /token id (\d+)/.exec(token.stderr)?.[1];
    expect(tokenId).toBeDefined();

    const ref = await cli(["ref", "add", "heat-status", "Scorching", "--tenant", "Riverside College"]);
    expect(ref.stdout).toMatch(/^\d+\n$/);
    await cli(["ref", "deactivate", "heat-status", ref.stdout.trim(), "--tenant", "Riverside College"]);
    const list = await cli(["ref", "list", "heat-status", "--tenant", "Riverside College"]);
    expect(list.stdout).toContain(`${ref.stdout.trim()}\tScorching\t\tinactive`);

    const store = await openStore({ dataDir });
    try {
      const principal = await authenticateToken(store.db, token.stdout.trim());
      expect(principal).toMatchObject({
        tenantId: Number(tenant.stdout),
        roles: ["contacts:write"],
        userId: Number(user.stdout),
      });
      const stored = await store.db
        .selectFrom("users")
        .select(["passwordHash", "roles"])
        .executeTakeFirstOrThrow();
      expect(stored.roles).toEqual(["admin", "REGISUserRole"]);
      expect(stored.passwordHash).not.toContain("correct horse");
      expect(await verifyPassword("correct horse battery", stored.passwordHash as string)).toBe(true);
      expect(await verifyPassword("wrong", stored.passwordHash as string)).toBe(false);
      const hash = await store.db.selectFrom("apiTokens").select("tokenHash").executeTakeFirstOrThrow();
      expect(Buffer.from(hash.tokenHash).toString()).not.toContain(token.stdout.trim());
    } finally {
      await store.close();
    }

    const revoked = await cli(["token", "revoke", tokenId as string]);
    expect(revoked.stdout).toBe(`${tokenId}\n`);
    const store2 = await openStore({ dataDir });
    try {
      expect(await authenticateToken(store2.db, token.stdout.trim())).toBeUndefined();
    } finally {
      await store2.close();
    }
  }, 120_000);

  it("migrate brings a fresh data folder to the latest schema and prints only the version", async () => {
    const fresh = mkdtempSync(join(tmpdir(), "tributary-migrate-"));
    try {
      const first = await cli(["migrate"], undefined, { TRIBUTARY_DATA: fresh });
      expect(first.stdout).toBe(`${latestSchemaVersion}\n`);
      const again = await cli(["migrate"], undefined, { TRIBUTARY_DATA: fresh });
      expect(again.stdout).toBe(`${latestSchemaVersion}\n`);
      const store = await openStore({ dataDir: fresh });
      try {
        const applied = await store.db
          .selectFrom("kysely_migration" as never)
          .select("name" as never)
          .execute();
        expect(
          applied
            .map((r) => (r as { name: string }).name)
            .sort()
            .at(-1),
        ).toBe(latestSchemaVersion);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 120_000);

  it("token create --expires-in stores an expiry; a refused command prints nothing on stdout", async () => {
    const tenant = await cli(["tenant", "create", "Expiry College"]);
    const token = await cli([
      "token",
      "create",
      "--tenant",
      "Expiry College",
      "--role",
      "contacts:read",
      "--expires-in",
      "2",
    ]);
    expect(token.stdout).toMatch(/^trb_\d+_[A-Za-z0-9_-]{43}\n$/);
    // 43 base64url characters carry 32 random bytes.
    // (The secret's own alphabet has "_", so it is what follows the second separator, not the last.)
    const secret = /^trb_\d+_(.+)$/.exec(token.stdout.trim())?.[1] as string;
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);
    const store = await openStore({ dataDir });
    try {
      const row = await store.db
        .selectFrom("apiTokens")
        .select(["expiresAt", "tokenHash"])
        .where("tenantId", "=", Number(tenant.stdout))
        .executeTakeFirstOrThrow();
      const days = ((row.expiresAt as Date).getTime() - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(1.99);
      expect(days).toBeLessThanOrEqual(2);
      expect(row.tokenHash).toHaveLength(32);
    } finally {
      await store.close();
    }
    for (const args of [
      ["token", "create", "--tenant", "No Such College", "--role", "admin"],
      ["token", "revoke", "999999"],
      [
        "user",
        "create",
        "--tenant",
        "Expiry College",
        "--username",
        "u",
        "--role",
        "admin",
        "--password-stdin",
      ],
      ["ref", "list", "bogus", "--tenant", "Expiry College"],
    ]) {
      const failed = await cli(args, "short\n").catch((e) => e);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toBe("");
      // One line naming the cause, never a stack.
      expect(failed.stderr).toMatch(/^tributary: [^\n]+\n$/);
    }
  }, 120_000);

  it.skipIf(!testDatabaseUrl)(
    "uses PostgreSQL when DATABASE_URL is set, as serve does",
    async () => {
      const store = await openTestStore("postgres", "cli");
      try {
        const tenant = await cli(["tenant", "create", "Server College"], undefined, {
          DATABASE_URL: store.url as string,
        });
        expect(tenant.stdout).toMatch(/^\d+\n$/);
        const row = await store.db.selectFrom("tenants").select("name").executeTakeFirstOrThrow();
        expect(row.name).toBe("Server College");
      } finally {
        await store.dispose();
      }
    },
    120_000,
  );
});
