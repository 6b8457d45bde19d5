import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../test/helpers/test-store.js";
import { createTenant } from "../store/tenants.js";
import { createUser } from "../store/users.js";
import {
  checkLogin,
  failureWindowMs,
  type LoginRequest,
  lockDurationMs,
  maxFailedLogins,
} from "./check-login.js";
import { hashPassword } from "./password-hash.js";

const minute = 60 * 1000;
const byUsername = { lookup: "username", tenantPrefix: true, several: "refuse" } as const;
const byEmail = { lookup: "email", tenantPrefix: false, several: "oldest-match" } as const;

describe.each(testEngines)("checkLogin (%s)", (engine) => {
  let store: TestStore;
  let rightHash: string;
  let otherHash: string;
  let tenantA: { id: number; name: string };
  let tenantB: { id: number; name: string };
  let serial = 0;

  beforeAll(async () => {
    store = await openTestStore(engine, "check_login");
    // scrypt is slow on purpose; two hashes serve every user below.
    [rightHash, otherHash] = await Promise.all([hashPassword("right"), hashPassword("other")]);
    tenantA = await createTenant(store.db, "Alpha College");
    tenantB = await createTenant(store.db, "Beta College");
  });
  afterAll(() => store?.dispose());

  /** A user with a name no other test uses. */
  const user = async (tenantId: number, options: { name?: string; email?: string; hash?: string } = {}) => {
    serial += 1;
    return createUser(store.db, {
      tenantId,
      username: options.name ?? `user${serial}`,
      email: options.email ?? null,
      passwordHash: options.hash ?? rightHash,
      roles: ["SomeRole"],
    });
  };
  const login = (request: Partial<LoginRequest> & { login: string }, password: string, now?: Date) =>
    checkLogin(store.db, { ...byUsername, ...request }, password, now);
  const counters = async (id: number) =>
    store.db
      .selectFrom("users")
      .select(["failedLoginCount", "failedLoginWindowStart", "lockedUntil"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();

  it("answers ok with the user for the right password, case-insensitively", async () => {
    const u = await user(tenantA.id, { email: "ok@example.org" });
    expect(await login({ login: ` ${u.username.toUpperCase()} ` }, "right")).toEqual({
      outcome: "ok",
      user: {
        id: u.id,
        tenantId: tenantA.id,
        username: u.username,
        email: "ok@example.org",
        roles: ["SomeRole"],
      },
    });
  });

  it("answers failed for a wrong password and for an unknown login alike", async () => {
    const u = await user(tenantA.id);
    expect(await login({ login: u.username }, "wrong")).toEqual({ outcome: "failed" });
    expect(await login({ login: "nobody-at-all" }, "right")).toEqual({ outcome: "failed" });
    expect((await counters(u.id)).failedLoginCount).toBe(1);
  });

  it("locks on the fifth failure within the window, even against the right password", async () => {
    const u = await user(tenantA.id);
    const start = new Date("2030-01-01T10:00:00Z");
    for (let i = 0; i < maxFailedLogins - 1; i++)
      expect(await login({ login: u.username }, "wrong", new Date(start.getTime() + i * minute))).toEqual({
        outcome: "failed",
      });
    const fifth = new Date(start.getTime() + 5 * minute);
    expect(await login({ login: u.username }, "wrong", fifth)).toEqual({ outcome: "locked" });
    expect(await login({ login: u.username }, "right", new Date(fifth.getTime() + minute))).toEqual({
      outcome: "locked",
    });
    expect((await counters(u.id)).lockedUntil).toEqual(new Date(fifth.getTime() + lockDurationMs));
  });

  it("unlocks when the lock has run out, and guesses while locked do not extend it", async () => {
    const u = await user(tenantA.id);
    const start = new Date("2030-01-02T10:00:00Z");
    for (let i = 0; i < maxFailedLogins; i++) await login({ login: u.username }, "wrong", start);
    for (let i = 0; i < maxFailedLogins; i++)
      expect(await login({ login: u.username }, "wrong", new Date(start.getTime() + 10 * minute))).toEqual({
        outcome: "locked",
      });
    const almost = new Date(start.getTime() + lockDurationMs - 1);
    expect(await login({ login: u.username }, "right", almost)).toEqual({ outcome: "locked" });
    const after = new Date(start.getTime() + lockDurationMs + 1);
    expect((await login({ login: u.username }, "right", after)).outcome).toBe("ok");
    expect(await counters(u.id)).toEqual({
      failedLoginCount: 0,
      failedLoginWindowStart: null,
      lockedUntil: null,
    });
  });

  it("does not lock when the failures are spread over more than the window", async () => {
    const u = await user(tenantA.id);
    const start = new Date("2030-01-03T10:00:00Z");
    const step = failureWindowMs / (maxFailedLogins - 1);
    for (let i = 0; i < maxFailedLogins + 2; i++)
      expect(await login({ login: u.username }, "wrong", new Date(start.getTime() + i * step))).toEqual({
        outcome: "failed",
      });
  });

  it("a success resets the count, so four more failures do not lock", async () => {
    const u = await user(tenantA.id);
    const now = new Date("2030-01-04T10:00:00Z");
    for (let i = 0; i < maxFailedLogins - 1; i++) await login({ login: u.username }, "wrong", now);
    expect((await login({ login: u.username }, "right", now)).outcome).toBe("ok");
    expect(await counters(u.id)).toEqual({
      failedLoginCount: 0,
      failedLoginWindowStart: null,
      lockedUntil: null,
    });
    for (let i = 0; i < maxFailedLogins - 1; i++)
      expect(await login({ login: u.username }, "wrong", now)).toEqual({ outcome: "failed" });
  });

  it("counts concurrent failures one by one", async () => {
    const u = await user(tenantA.id);
    const now = new Date("2030-01-05T10:00:00Z");
    await Promise.all(Array.from({ length: 3 }, () => login({ login: u.username }, "wrong", now)));
    expect((await counters(u.id)).failedLoginCount).toBe(3);
  });

  it("refuses a name two tenants share, but only to a caller with a right password", async () => {
    const a = await user(tenantA.id, { name: "shared.name" });
    const b = await user(tenantB.id, { name: "shared.name", hash: otherHash });
    expect(await login({ login: "shared.name" }, "right")).toEqual({ outcome: "ambiguous" });
    expect(await login({ login: "shared.name" }, "other")).toEqual({ outcome: "ambiguous" });
    // A wrong guess learns nothing and counts against both accounts.
    expect(await login({ login: "shared.name" }, "wrong")).toEqual({ outcome: "failed" });
    expect((await counters(a.id)).failedLoginCount).toBe(1);
    expect((await counters(b.id)).failedLoginCount).toBe(1);
  });

  it("a tenant prefix picks one tenant's user, any case; without tenantPrefix it is part of the name", async () => {
    await user(tenantA.id, { name: "prefixed" });
    const b = await user(tenantB.id, { name: "prefixed", hash: otherHash });
    const ok = await login({ login: "beta college\\Prefixed" }, "other");
    expect(ok).toMatchObject({ outcome: "ok", user: { id: b.id, tenantId: tenantB.id } });
    expect(await login({ login: "Alpha College\\prefixed" }, "other")).toEqual({ outcome: "failed" });
    expect(await login({ login: "No Such College\\prefixed" }, "other")).toEqual({ outcome: "failed" });
    expect(await login({ login: "Beta College\\prefixed", tenantPrefix: false }, "other")).toEqual({
      outcome: "failed",
    });
  });

  it("email lookup: the oldest matching account across tenants wins", async () => {
    const a = await user(tenantA.id, { email: "Shared@Example.org", hash: otherHash });
    const b = await user(tenantB.id, { email: "shared@example.org" });
    const c = await user(tenantB.id, { email: "shared@example.org", hash: otherHash });
    const right = await login({ ...byEmail, login: "SHARED@example.org " }, "right");
    expect(right).toMatchObject({ outcome: "ok", user: { id: b.id, tenantId: tenantB.id } });
    const other = await login({ ...byEmail, login: "shared@example.org" }, "other");
    expect(other).toMatchObject({ outcome: "ok", user: { id: a.id, tenantId: tenantA.id } });
    expect(c.id).toBeGreaterThan(a.id);
    // The email is not a user name.
    expect(await login({ login: "shared@example.org" }, "right")).toEqual({ outcome: "failed" });
  });

  it("email lookup: a locked match gives way to an unlocked one; all locked answers locked", async () => {
    const email = "locks@example.org";
    const a = await user(tenantA.id, { email });
    const b = await user(tenantB.id, { email });
    const now = new Date("2030-01-06T10:00:00Z");
    await store.db
      .updateTable("users")
      .set({ lockedUntil: new Date(now.getTime() + minute) })
      .where("id", "=", a.id)
      .execute();
    expect(await login({ ...byEmail, login: email }, "right", now)).toMatchObject({ user: { id: b.id } });
    await store.db
      .updateTable("users")
      .set({ lockedUntil: new Date(now.getTime() + minute) })
      .where("id", "=", b.id)
      .execute();
    expect(await login({ ...byEmail, login: email }, "right", now)).toEqual({ outcome: "locked" });
    expect(await login({ ...byEmail, login: email }, "wrong", now)).toEqual({ outcome: "locked" });
  });

  it("username-or-email finds a user by either", async () => {
    const u = await user(tenantA.id, { email: "either@example.org" });
    const lookup = "username-or-email" as const;
    expect(await login({ lookup, login: u.username }, "right")).toMatchObject({ user: { id: u.id } });
    expect(await login({ lookup, login: "Alpha College\\EITHER@example.org" }, "right")).toMatchObject({
      user: { id: u.id },
    });
  });

  it("disabled users and users without a password never sign in nor make a name ambiguous", async () => {
    const disabled = await user(tenantA.id, { name: "gone" });
    await store.db.updateTable("users").set({ disabled: true }).where("id", "=", disabled.id).execute();
    expect(await login({ login: "gone" }, "right")).toEqual({ outcome: "failed" });
    expect((await counters(disabled.id)).failedLoginCount).toBe(0);
    const active = await user(tenantB.id, { name: "gone" });
    expect(await login({ login: "gone" }, "right")).toMatchObject({ outcome: "ok", user: { id: active.id } });
    const noPassword = await createUser(store.db, {
      tenantId: tenantA.id,
      username: "no-password",
      passwordHash: null,
      roles: [],
    });
    expect(await login({ login: noPassword.username }, "")).toEqual({ outcome: "failed" });
  });
});
