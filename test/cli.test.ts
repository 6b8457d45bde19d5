import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../src/auth/password-hash.js";
import { authenticateToken } from "../src/store/api-tokens.js";
import { openStore } from "../src/store/database.js";

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), "tributary-cli-"));
const env = { ...process.env, TRIBUTARY_DATA: dataDir, DATABASE_URL: "" };

function cli(args: string[], input?: string) {
  const child = run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    env,
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
});
