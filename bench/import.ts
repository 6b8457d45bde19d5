// npm run bench -- import [--rows N] [--engine postgres|pglite|both]
// Writes an N-row CSV of 45 columns, imports it through a running server with the CLI (`tributary import
// --server`), first as inserts and then as a file of 50% updates and 50% new people; prints rows/s, and the
// peak RSS of the server and of the CLI. On PostgreSQL the same run times psql \copy of the same files into
// a staging table merged with INSERT … ON CONFLICT into a 45-column table, and prints the ratio; and the CPU
// time per row of the server (in parentheses, of its main thread alone: without V8's helper threads), of
// PostgreSQL (all its processes) and of the CLI; and the job's own rate, from its start to its end, without
// the upload and the queue; and the model floor (modelFloor in lib/import-baselines.ts): the same files merged by one set-based
// statement into the model's own tables, with none of the application's work.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  mainThreadCpuSeconds,
  postgresCpuSeconds,
  processCpuSeconds,
  startBenchServer,
} from "./lib/bench-server.js";
import { copyBaseline, modelFloor, walCounters, walPerRow } from "./lib/import-baselines.js";
import { writeImportFile } from "./lib/import-files.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    engine: { type: "string", default: "both" },
  },
});
const rows = Number(values.rows);
const adminUrl =
  process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

function peakRssMiB(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Runs the CLI against the server; answers the seconds it took, the CLI's peak RSS and the CPU time per row. */
async function cliImport(
  server: { url: string; token: string; pid: number; databaseUrl?: string },
  file: string,
) {
  const { url, token, databaseUrl } = server;
  const serverCpu0 = processCpuSeconds(server.pid);
  const serverMainCpu0 = mainThreadCpuSeconds(server.pid);
  const postgresCpu0 = postgresCpuSeconds();
  const wal0 = databaseUrl ? walCounters(databaseUrl) : undefined;
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ["bin/tributary.js", "import", file, "--server", url, "--token", token, "--id-property", "external_id"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let peak = 0;
  let cliCpu = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, peakRssMiB(child.pid as number));
    cliCpu = Math.max(cliCpu, processCpuSeconds(child.pid as number));
  }, 100);
  let stdout = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  const code = await new Promise((r) => child.once("exit", r));
  clearInterval(timer);
  if (code !== 0) throw new Error(`import failed: ${stdout}`);
  // The job alone, from its first chunk's start to its end (the rest is the upload and the queue).
  const id = /^import (\d+) /m.exec(stdout)?.[1];
  const view = id
    ? ((await (
        await fetch(`${url}/api/v1/imports/${id}`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { startedAt: string; finishedAt: string })
    : undefined;
  const jobSeconds = view ? (Date.parse(view.finishedAt) - Date.parse(view.startedAt)) / 1000 : Number.NaN;
  const micros = (seconds: number) => (seconds * 1e6) / rows;
  return {
    seconds: (performance.now() - started) / 1000,
    jobSeconds,
    cpu: {
      server: micros(processCpuSeconds(server.pid) - serverCpu0),
      serverMain: micros(mainThreadCpuSeconds(server.pid) - serverMainCpu0),
      postgres: micros(postgresCpuSeconds() - postgresCpu0),
      cli: micros(cliCpu),
    },
    cliRss: peak,
    wal: databaseUrl && wal0 ? walPerRow(databaseUrl, wal0, rows) : "–",
    summary: stdout.trim().split("\n")[1],
  };
}

// Server and CLI run as `npm start` and an installed `tributary` do: the compiled build (startBenchServer
// builds it), not the TypeScript loader, which adds about 100 MB to each process's RSS.
const dir = mkdtempSync(join(tmpdir(), "tributary-import-bench-"));
const files = [join(dir, "inserts.csv"), join(dir, "updates.csv")];
await writeImportFile(files[0], rows, 0);
await writeImportFile(files[1], rows, 1);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const table: string[] = [];
for (const engine of values.engine === "both" ? ["postgres", "pglite"] : [values.engine as string]) {
  const server = await startBenchServer({
    adminUrl: engine === "postgres" ? adminUrl : undefined,
    port: 18_600 + table.length,
    env: { TRIBUTARY_IMPORT_MAX_BYTES: String(8 * 1024 ** 3) },
    nodeFlags: process.env.BENCH_SERVER_NODE_FLAGS?.split(" ").filter(Boolean),
  });
  try {
    const inserts = await cliImport(server, files[0]);
    const updates = await cliImport(server, files[1]);
    const serverRss = server.peakRssMiB();
    let baseline = "";
    if (engine === "postgres" && server.databaseUrl) {
      const copies = copyBaseline(server.databaseUrl, files, rows);
      const [copyInsert, copyUpdate] = copies.map((c) => c.rate);
      console.error(
        `WAL per row: import ${inserts.wal} / ${updates.wal}, \\copy + merge ${copies[0].wal} / ${copies[1].wal}`,
      );
      const [floorInsert, floorUpdate] = modelFloor(server.databaseUrl, files, rows);
      const share = (rate: number, copy: number) => `${((rate / copy) * 100).toFixed(0)}%`;
      baseline = ` | ${fmt(copyInsert)} / ${fmt(copyUpdate)} | ${share(rows / inserts.seconds, copyInsert)} / ${share(rows / updates.seconds, copyUpdate)} | ${fmt(floorInsert.rate)} / ${fmt(floorUpdate.rate)} | ${share(floorInsert.rate, copyInsert)} / ${share(floorUpdate.rate, copyUpdate)} | ${floorInsert.postgresCpuMicros.toFixed(0)} / ${floorUpdate.postgresCpuMicros.toFixed(0)}`;
    } else baseline = " | – | – | – | – | –";
    console.error(`${engine}: ${inserts.summary} | ${updates.summary}`);
    const cpu = (c: typeof inserts.cpu) =>
      `${c.server.toFixed(0)} (${c.serverMain.toFixed(0)}) / ${engine === "postgres" ? c.postgres.toFixed(0) : "–"} / ${c.cli.toFixed(0)}`;
    table.push(
      `| ${engine} | ${fmt(rows)} | ${fmt(rows / inserts.seconds)} | ${fmt(rows / updates.seconds)}${baseline} | ${fmt(rows / inserts.jobSeconds)} / ${fmt(rows / updates.jobSeconds)} | ${serverRss.toFixed(0)} | ${Math.max(inserts.cliRss, updates.cliRss).toFixed(0)} | ${cpu(inserts.cpu)} | ${cpu(updates.cpu)} |`,
    );
  } finally {
    await server.stop();
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(
  "| engine | rows × 45 columns | inserts rows/s | 50% updates rows/s | psql \\copy + merge rows/s (inserts / updates) | import ÷ copy | model floor rows/s (inserts / updates) | floor ÷ copy | floor PostgreSQL CPU µs/row | job alone rows/s (inserts / updates) | server peak RSS MiB | CLI peak RSS MiB | CPU µs/row server (its main thread) / PostgreSQL / CLI (inserts) | (updates) |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const line of table) console.log(line);
