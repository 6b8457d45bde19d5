// npm run bench -- import [--rows N] [--engine postgres|pglite|both]
// Writes an N-row CSV of 45 columns, imports it through a running server with the CLI (`tributary import
// --server`), first as inserts and then as a file of 50% updates and 50% new people; prints rows/s, and the
// peak RSS of the server and of the CLI. On PostgreSQL the same run times psql \copy of the same files into
// a staging table merged with INSERT … ON CONFLICT into a 45-column table, and prints the ratio; and the CPU
// time per row of the server (in parentheses, of its main thread alone: without V8's helper threads), of
// PostgreSQL (all its processes) and of the CLI; and the job's own rate, from its start to its end, without
// the upload and the queue; and the model floor (modelFloor below): the same files merged by one set-based
// statement into the model's own tables, with none of the application's work.
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { csvLine } from "../src/formats/csv/write-csv.js";
import {
  mainThreadCpuSeconds,
  postgresCpuSeconds,
  processCpuSeconds,
  startBenchServer,
} from "./lib/bench-server.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    engine: { type: "string", default: "both" },
  },
});
const rows = Number(values.rows);
const adminUrl =
  process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

// 45 columns: the external id and 44 text fields of the contact.
const textFields = [
  "givenName",
  "middleName",
  "surname",
  "preferredName",
  "alias",
  "formerName",
  "spouseName",
  "gender",
  "maritalStatus",
  "email",
  "emailSecondary",
  "phoneMobile",
  "phoneHome",
  "phoneWork",
  "phoneOther",
  "faxWork",
  "faxHome",
  "correspondenceLine1",
  "correspondenceLine2",
  "correspondenceLine3",
  "correspondenceTown",
  "correspondenceState",
  "correspondencePostcode",
  "company",
  "department",
  "profession",
  "specialty",
  "category",
  "contactType",
  "workLine1",
  "workLine2",
  "workLine3",
  "workCity",
  "workState",
  "workPostcode",
  "otherLine1",
  "otherLine2",
  "otherLine3",
  "otherCity",
  "otherState",
  "otherPostcode",
  "visaType",
  "denomination",
  "segment",
];
const header = ["external_id", ...textFields];

function cells(i: number, round: number): string[] {
  return [
    `B-${i}`,
    ...textFields.map((f) =>
      f === "email" || f === "emailSecondary"
        ? `p${i}.${f.length}@example.org`
        : f === "company"
          ? round === 0
            ? "Acme"
            : "Acme Updated"
          : `${f.slice(0, 6)} ${i % 9973}`,
    ),
  ];
}

async function writeFile(path: string, round: number) {
  const out = createWriteStream(path);
  let text = csvLine(header);
  for (let n = 0; n < rows; n++) {
    // Round 1: even rows are the same people changed, odd rows new people: 50% updates.
    const i = round === 0 ? n : n % 2 === 0 ? n : rows + n;
    text += csvLine(cells(i, round));
    if (text.length > 1 << 20) {
      if (!out.write(text)) await new Promise<void>((r) => out.once("drain", () => r()));
      text = "";
    }
  }
  await new Promise<void>((r) => out.end(text, () => r()));
}

function peakRssMiB(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Runs the CLI against the server; answers the seconds it took, the CLI's peak RSS and the CPU time per row. */
async function cliImport(server: { url: string; token: string; pid: number }, file: string) {
  const { url, token } = server;
  const serverCpu0 = processCpuSeconds(server.pid);
  const serverMainCpu0 = mainThreadCpuSeconds(server.pid);
  const postgresCpu0 = postgresCpuSeconds();
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
    summary: stdout.trim().split("\n")[1],
  };
}

// The file's columns as SQL column names: the contacts table's own names for these fields.
const columns = header.map((h) => h.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

/** Runs psql commands in one session on the database; answers what they printed. */
function psqlSession(databaseUrl: string, ...commands: string[]): string {
  return execFileSync(
    "psql",
    [databaseUrl, "-v", "ON_ERROR_STOP=1", "-qAt", ...commands.flatMap((c) => ["-c", c])],
    { stdio: ["ignore", "pipe", "inherit"] },
  ).toString();
}

function copyBaseline(databaseUrl: string, files: string[]) {
  const defs = columns.map((c) => `${c} text`).join(", ");
  const psql = (...commands: string[]) => psqlSession(databaseUrl, ...commands);
  psql(
    `create table bench_target (${defs}, modified_at timestamptz default now(), primary key (external_id))`,
  );
  const rates: number[] = [];
  for (const file of files) {
    const started = performance.now();
    psql(
      `create temp table staging (${defs})`,
      `\\copy staging from '${file}' with (format csv, header true)`,
      `insert into bench_target select *, now() from staging on conflict (external_id) do update set ${columns
        .slice(1)
        .map((c) => `${c} = excluded.${c}`)
        .join(", ")}, modified_at = now()`,
    );
    rates.push(rows / ((performance.now() - started) / 1000));
  }
  psql("drop table bench_target");
  return rates;
}

/**
 * The same files written the way the fastest import into this model could write them, with none of the
 * application's work: psql \copy into a staging table, then one statement that matches every row on its
 * external id, updates the matched contacts, inserts the others with their identifier rows, in the model's
 * own tables (`contacts` with its indexes, `contact_identifiers`) for a tenant of its own. No validation, no
 * per-row outcomes, no checkpoint, no chunks: one transaction per file, which a resumable job cannot be.
 * Its rate bounds what an import whose chunks commit one after another can reach here, and its ratio to the
 * \copy baseline that import's ratio (two writers at once could pass it, with the cores the server needs).
 */
function modelFloor(databaseUrl: string, files: string[]) {
  const fields = columns.slice(1);
  const psql = (...commands: string[]) => psqlSession(databaseUrl, ...commands);
  const tenant = Number(psql("insert into tenants (name) values ('bench model floor') returning id").trim());
  const floors: Array<{ rate: number; postgresCpuMicros: number }> = [];
  for (const file of files) {
    const postgresCpu0 = postgresCpuSeconds();
    const started = performance.now();
    psql(
      `create temp table staging (${columns.map((c) => `${c} text`).join(", ")})`,
      `\\copy staging from '${file}' with (format csv, header true)`,
      `with s as (select st.*, ci.contact_id from staging st left join contact_identifiers ci
           on ci.tenant_id = ${tenant} and ci.scheme = 'external_id' and ci.value = st.external_id),
         n as (select nextval('contact_id_seq') as id, * from s where contact_id is null),
         u as (update contacts c set ${fields.map((c) => `${c} = s.${c}`).join(", ")}, modified_at = now()
           from s where s.contact_id is not null and c.tenant_id = ${tenant} and c.id = s.contact_id),
         i as (insert into contacts (tenant_id, id, ${fields.join(", ")}, created_by, modified_by)
           select ${tenant}, id, ${fields.join(", ")}, 'floor', 'floor' from n)
       insert into contact_identifiers (tenant_id, scheme, value, contact_id)
         select ${tenant}, 'external_id', external_id, id from n`,
    );
    floors.push({
      rate: rows / ((performance.now() - started) / 1000),
      postgresCpuMicros: ((postgresCpuSeconds() - postgresCpu0) * 1e6) / rows,
    });
  }
  psql(`delete from tenants where id = ${tenant}`);
  return floors;
}

// Server and CLI run as `npm start` and an installed `tributary` do: the compiled build (startBenchServer
// builds it), not the TypeScript loader, which adds about 100 MB to each process's RSS.
const dir = mkdtempSync(join(tmpdir(), "tributary-import-bench-"));
const files = [join(dir, "inserts.csv"), join(dir, "updates.csv")];
await writeFile(files[0], 0);
await writeFile(files[1], 1);
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
      const [copyInsert, copyUpdate] = copyBaseline(server.databaseUrl, files);
      const [floorInsert, floorUpdate] = modelFloor(server.databaseUrl, files);
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
