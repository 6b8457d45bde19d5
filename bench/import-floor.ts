// npm run bench -- import-floor [--rows N] [--rounds K]
// PostgreSQL only. What the model's secondary indexes cost the import's ceiling: for each variant below, a
// fresh database at the latest schema with the variant's change, then the \copy baseline and the model floor
// (lib/import-baselines.ts: the import bench's files merged by one statement into the model's own tables,
// none of the application's work) on the file of inserts and the file of 50% updates. The variants run in
// turns, K rounds, because the machine's speed drifts within minutes; it prints floor ÷ copy for each
// round and the median. The import itself runs at or below its floor (docs/benchmarks-import.md).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { migrateToLatest, openStore } from "../src/store/database.js";
import { copyBaseline, modelFloor, psqlSession } from "./lib/import-baselines.js";
import { writeImportFile } from "./lib/import-files.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    rounds: { type: "string", default: "2" },
  },
});
const rows = Number(values.rows);
const adminUrl =
  process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

const variants: Array<{ name: string; sql: string }> = [
  { name: "the model as it is", sql: "" },
  { name: "without contacts_name_idx", sql: "drop index contacts_name_idx" },
  { name: "without contacts_email_idx", sql: "drop index contacts_email_idx" },
  { name: "without contacts_modified_idx", sql: "drop index contacts_modified_idx" },
  { name: "without contact_identifiers_contact_idx", sql: "drop index contact_identifiers_contact_idx" },
  {
    name: "modified as BRIN, name on surname alone",
    sql: `drop index contacts_modified_idx;
      create index contacts_modified_idx on contacts using brin (tenant_id, modified_at);
      drop index contacts_name_idx;
      create index contacts_name_idx on contacts (tenant_id, lower(surname))`,
  },
  {
    name: "no secondary index",
    sql: `drop index contacts_name_idx; drop index contacts_email_idx; drop index contacts_modified_idx;
      drop index contact_identifiers_contact_idx`,
  },
];

/** Runs `measure` on a fresh database migrated to the latest schema with `sql` applied; drops it after. */
async function withVariantDatabase<T>(sql: string, measure: (databaseUrl: string) => T): Promise<T> {
  const name = `tributary_floor_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  try {
    const store = await openStore({ databaseUrl });
    await migrateToLatest(store);
    await store.close();
    if (sql) psqlSession(databaseUrl, sql);
    return measure(databaseUrl);
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const dir = mkdtempSync(join(tmpdir(), "tributary-floor-bench-"));
const files = [join(dir, "inserts.csv"), join(dir, "updates.csv")];
await writeImportFile(files[0], rows, 0);
await writeImportFile(files[1], rows, 1);
const shares = new Map<string, Array<[number, number]>>(variants.map((v) => [v.name, []]));
const rounds = Number(values.rounds);
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const share = await withVariantDatabase(variant.sql, (databaseUrl) => {
      const copies = copyBaseline(databaseUrl, files, rows);
      const floors = modelFloor(databaseUrl, files, rows);
      return [floors[0].rate / copies[0].rate, floors[1].rate / copies[1].rate] as [number, number];
    });
    shares.get(variant.name)?.push(share);
    console.error(
      `round ${round + 1}, ${variant.name}: ${share.map((s) => `${(s * 100).toFixed(0)}%`).join(" / ")}`,
    );
  }
}
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
console.log(
  `| variant (${rows.toLocaleString("en-US")} rows) | floor ÷ copy, inserts: each round (median) | 50% updates |`,
);
console.log("|---|---|---|");
for (const [name, list] of shares) {
  const column = (k: 0 | 1) =>
    `${list.map((s) => pct(s[k])).join(", ")} (${pct(median(list.map((s) => s[k])))})`;
  console.log(`| ${name} | ${column(0)} | ${column(1)} |`);
}
