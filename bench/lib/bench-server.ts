import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { issueToken } from "../../src/store/api-tokens.js";
import { migrateToLatest, openStore } from "../../src/store/database.js";
import { createTenant } from "../../src/store/tenants.js";

export interface BenchServer {
  url: string;
  token: string;
  tenantId: number;
  databaseUrl?: string;
  pid: number;
  /** peak resident set size of the server process so far, MiB (VmHWM) */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

/** Starts `tributary serve` as a child process on a fresh database (PostgreSQL URL given) or PGlite folder. */
export async function startBenchServer(options: {
  adminUrl?: string;
  port: number;
  roles?: string[];
  /** flags for the server's node process (a heap size, say) */
  nodeFlags?: string[];
  /** more environment for the server process */
  env?: Record<string, string>;
}): Promise<BenchServer> {
  let databaseUrl: string | undefined;
  let dataDir: string | undefined;
  let dropDatabase = async () => {};
  if (options.adminUrl) {
    const name = `tributary_bench_${Date.now()}`;
    const admin = new pg.Client({ connectionString: options.adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(options.adminUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: options.adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  } else {
    dataDir = mkdtempSync(join(tmpdir(), "tributary-bench-"));
  }
  const store = await openStore({ databaseUrl, dataDir });
  await migrateToLatest(store);
  const tenant = await createTenant(store.db, "Bench");
  const { token } = await issueToken(store.db, {
    tenantId: tenant.id,
    roles: options.roles ?? ["contacts:write"],
  });
  await store.close();

  // The server runs as `npm start` runs it: the compiled build, not the TypeScript loader (which costs memory).
  execFileSync("npm", ["run", "--silent", "build"], { stdio: "inherit" });
  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), "bin/tributary.js", "serve"],
    {
      env: {
        ...process.env,
        PORT: String(options.port),
        HOST: "127.0.0.1",
        DATABASE_URL: databaseUrl ?? "",
        TRIBUTARY_DATA: dataDir ?? "",
        LOG_LEVEL: "warn",
        ...options.env,
      },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const url = `http://127.0.0.1:${options.port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    token,
    tenantId: tenant.id,
    databaseUrl,
    pid: child.pid as number,
    peakRssMiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      await dropDatabase();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The value below which p of the sorted samples fall. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** CPU seconds (user + system) a process has used so far, with its reaped children's when asked; 0 when it is gone. */
export function processCpuSeconds(pid: number, withReapedChildren = false): number {
  return statCpuSeconds(`/proc/${pid}/stat`, withReapedChildren);
}

/**
 * CPU seconds used so far by a process's main thread alone: for Node, the JavaScript thread, without V8's
 * helper threads (parallel and concurrent garbage collection, compilation) or libuv's pool.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`, false);
}

function statCpuSeconds(statPath: string, withReapedChildren: boolean): number {
  try {
    // Fields after the command name (which may hold spaces): utime, stime, cutime, cstime are the 12th to 15th.
    const stat = readFileSync(statPath, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const own = Number(fields[11]) + Number(fields[12]);
    const children = withReapedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return (own + children) / clockTicksPerSecond;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by every PostgreSQL process of this machine (backends, walwriter, autovacuum),
 * those that have exited included: the postmaster has reaped them, and counts their time as its children's.
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== "postgres") continue;
    } catch {
      continue;
    }
    total += processCpuSeconds(Number(entry), true);
  }
  return total;
}

// Linux reports times in USER_HZ, 100 on every architecture Node runs on.
const clockTicksPerSecond = 100;
