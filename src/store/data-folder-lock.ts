import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OperatorError } from "../operator-error.js";

// PGlite takes no lock on its data folder: a second process that opens it (a CLI command while
// `tributary serve` runs) starts its own Postgres on the same files, and either writes the other never
// sees or a folder that no longer opens. Postgres itself refuses through postmaster.pid; PGlite writes
// that file with a fixed pid, so Tributary keeps its own lock beside it.

/** The lock file's name inside a PGlite data folder. */
export const dataFolderLockName = "tributary.lock";

interface LockHolder {
  pid: number;
  /** the holder's start time in clock ticks since boot (Linux), so a reused pid is not taken for it */
  processStart?: string;
  command: string;
  since: string;
}

/** Raised when another live process holds the data folder. */
export class DataFolderInUseError extends OperatorError {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | "this process",
  ) {
    super(
      holder === "this process"
        ? `the data folder ${dataDir} is open in this process already; close that store first`
        : `the data folder ${dataDir} is in use by another Tributary process (pid ${holder.pid}, '${holder.command}', since ${holder.since}); ` +
            "the embedded engine (PGlite) allows one process at a time: stop that process first, " +
            "send imports and exports to it with --server URL --token T, or use a PostgreSQL server (DATABASE_URL)",
    );
  }
}

/** A held lock; `release` removes the file if it is still this process's. */
export interface DataFolderLock {
  release(): void;
}

const heldHere = new Set<string>();

function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime); the command name in field 2 may hold spaces, so count from its closing paren.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function isAlive(holder: LockHolder): boolean {
  // The same pid as this process, not held here: a previous run that had this pid (a container's pid 1).
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const start = processStartOf(holder.pid);
  return !(holder.processStart && start && start !== holder.processStart);
}

function readHolder(file: string): { text: string; holder: LockHolder | null } | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    return { text, holder: Number.isInteger(holder.pid) && holder.pid > 0 ? holder : null };
  } catch {
    // A file cut short by a crash while it was written holds no live process.
    return { text, holder: null };
  }
}

function removeIfThere(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** Takes the data folder for this process, or throws DataFolderInUseError naming the process that has it. */
export function lockDataFolder(dataDir: string, command = process.argv.slice(1).join(" ")): DataFolderLock {
  const file = join(dataDir, dataFolderLockName);
  if (heldHere.has(file)) throw new DataFolderInUseError(dataDir, "this process");
  const mine: LockHolder = {
    pid: process.pid,
    processStart: processStartOf(process.pid),
    command: command.slice(0, 200),
    since: new Date().toISOString(),
  };
  const text = JSON.stringify(mine);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, text, { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw error;
    }
    const found = readHolder(file);
    if (!found) continue;
    if (found.holder && isAlive(found.holder)) throw new DataFolderInUseError(dataDir, found.holder);
    // A stale lock (its process is gone): remove it unless another process replaced it meanwhile.
    const again = readHolder(file);
    if (again?.text === found.text) removeIfThere(file);
  }
  heldHere.add(file);
  const release = () => {
    if (!heldHere.delete(file)) return;
    process.off("exit", release);
    try {
      if (readFileSync(file, "utf8") === text) removeIfThere(file);
    } catch {
      // Already gone (the folder was removed): nothing to release.
    }
  };
  process.on("exit", release);
  return { release };
}
