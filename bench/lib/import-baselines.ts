// The import benches' baselines, on PostgreSQL: psql \copy of a file merged into one table, and the model
// floor, the same file merged by one statement into the model's own tables.
import { execFileSync } from "node:child_process";
import { postgresCpuSeconds } from "./bench-server.js";
import { columns } from "./import-files.js";

/** Runs psql commands in one session on the database; answers what they printed. */
export function psqlSession(databaseUrl: string, ...commands: string[]): string {
  return execFileSync(
    "psql",
    [databaseUrl, "-v", "ON_ERROR_STOP=1", "-qAt", ...commands.flatMap((c) => ["-c", c])],
    { stdio: ["ignore", "pipe", "inherit"] },
  ).toString();
}

/** PostgreSQL's WAL counters (bytes, full-page images) since its statistics were reset. */
export function walCounters(databaseUrl: string): [number, number] {
  const [bytes, fpi] = psqlSession(databaseUrl, "select wal_bytes, wal_fpi from pg_stat_wal")
    .trim()
    .split("|");
  return [Number(bytes), Number(fpi)];
}

/** The WAL written per row since `from`: kilobytes, and full-page images per 1,000 rows. */
export function walPerRow(databaseUrl: string, from: [number, number], rows: number): string {
  const [bytes, fpi] = walCounters(databaseUrl);
  return `${((bytes - from[0]) / 1024 / rows).toFixed(2)} KB (${(((fpi - from[1]) * 1000) / rows).toFixed(0)} FPI/1k)`;
}

/**
 * psql \copy of each file into a temporary staging table, merged by `INSERT … ON CONFLICT (external_id) DO
 * UPDATE` into a 45-column table with one index: rows/s and the WAL written per row, for each file.
 */
export function copyBaseline(databaseUrl: string, files: string[], rows: number) {
  const defs = columns.map((c) => `${c} text`).join(", ");
  const psql = (...commands: string[]) => psqlSession(databaseUrl, ...commands);
  psql(
    `create table bench_target (${defs}, modified_at timestamptz default now(), primary key (external_id))`,
  );
  const rates: Array<{ rate: number; wal: string }> = [];
  for (const file of files) {
    const wal0 = walCounters(databaseUrl);
    const started = performance.now();
    psql(
      `create temp table staging (${defs})`,
      `\\copy staging from '${file}' with (format csv, header true)`,
      `insert into bench_target select *, now() from staging on conflict (external_id) do update set ${columns
        .slice(1)
        .map((c) => `${c} = excluded.${c}`)
        .join(", ")}, modified_at = now()`,
    );
    rates.push({
      rate: rows / ((performance.now() - started) / 1000),
      wal: walPerRow(databaseUrl, wal0, rows),
    });
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
export function modelFloor(databaseUrl: string, files: string[], rows: number) {
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
