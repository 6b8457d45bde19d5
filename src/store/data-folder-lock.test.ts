import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataFolderInUseError, dataFolderLockName, lockDataFolder } from "./data-folder-lock.js";
import { openStore } from "./database.js";

const folders: string[] = [];
const dataFolder = () => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-lock-"));
  folders.push(dir);
  return dir;
};
const lockFile = (dir: string) => join(dir, dataFolderLockName);
const holderOf = (dir: string) => JSON.parse(readFileSync(lockFile(dir), "utf8"));

/** A process that stays alive until killed, for a lock held by someone else. */
function otherProcess() {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  return { pid: child.pid as number, stop: () => child.kill("SIGKILL") };
}

afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe("lockDataFolder", () => {
  it("writes this process's pid and command, and removes the file on release", () => {
    const dir = dataFolder();
    const lock = lockDataFolder(dir, "tributary serve");
    expect(holderOf(dir)).toMatchObject({ pid: process.pid, command: "tributary serve" });
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
    lock.release();
  });

  it("refuses a folder a live process holds, naming it, and leaves its lock alone", () => {
    const dir = dataFolder();
    const other = otherProcess();
    try {
      const held = { pid: other.pid, command: "tributary serve", since: "2026-12-03T07:00:00.000Z" };
      writeFileSync(lockFile(dir), JSON.stringify(held));
      expect(() => lockDataFolder(dir)).toThrow(DataFolderInUseError);
      expect(() => lockDataFolder(dir)).toThrow(
        `the data folder ${dir} is in use by another Tributary process (pid ${other.pid}, 'tributary serve', since 2026-12-03T07:00:00.000Z)`,
      );
      expect(holderOf(dir)).toEqual(held);
    } finally {
      other.stop();
    }
  });

  it("refuses a second lock in the same process until the first is released", () => {
    const dir = dataFolder();
    const lock = lockDataFolder(dir);
    expect(() => lockDataFolder(dir)).toThrow(new DataFolderInUseError(dir, "this process"));
    expect(() => lockDataFolder(dir)).toThrow(`the data folder ${dir} is open in this process already`);
    lock.release();
    lockDataFolder(dir).release();
  });

  it("takes over the lock of a process that is gone, or a file cut short", async () => {
    const dir = dataFolder();
    const gone = otherProcess();
    gone.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    writeFileSync(lockFile(dir), JSON.stringify({ pid: gone.pid, command: "serve", since: "then" }));
    const lock = lockDataFolder(dir);
    expect(holderOf(dir).pid).toBe(process.pid);
    lock.release();
    writeFileSync(lockFile(dir), '{"pid": 12');
    lockDataFolder(dir).release();
  });

  it("does not take a reused pid for the process that wrote the lock", () => {
    const dir = dataFolder();
    const other = otherProcess();
    try {
      // The pid is alive but started at another time than the lock's holder: a reused pid.
      writeFileSync(
        lockFile(dir),
        JSON.stringify({ pid: other.pid, processStart: "1", command: "serve", since: "then" }),
      );
      lockDataFolder(dir).release();
      // This process's own pid in a lock it does not hold: a previous run with the same pid (a container's pid 1).
      writeFileSync(lockFile(dir), JSON.stringify({ pid: process.pid, command: "serve", since: "then" }));
      lockDataFolder(dir).release();
    } finally {
      other.stop();
    }
  });

  it("does not remove a lock another process took after this one's release was due", () => {
    const dir = dataFolder();
    const lock = lockDataFolder(dir);
    const replaced = JSON.stringify({ pid: 1, command: "other", since: "now" });
    writeFileSync(lockFile(dir), replaced);
    lock.release();
    expect(readFileSync(lockFile(dir), "utf8")).toBe(replaced);
  });
});

describe("the embedded engine", () => {
  it("holds its data folder while open, and a second store on it is refused", async () => {
    const dir = dataFolder();
    const store = await openStore({ dataDir: dir });
    try {
      await expect(openStore({ dataDir: dir })).rejects.toThrow(DataFolderInUseError);
      expect(existsSync(join(dir, "PG_VERSION"))).toBe(true);
    } finally {
      await store.close();
    }
    expect(existsSync(lockFile(dir))).toBe(false);
    const again = await openStore({ dataDir: dir });
    await again.close();
  }, 60_000);
});
