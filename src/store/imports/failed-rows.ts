import { type Kysely, sql, type Transaction } from "kysely";
import { arrayParameter } from "../contacts/contact-columns.js";
import type { Database } from "../schema.js";

type Db = Kysely<Database> | Transaction<Database>;

/** One failed source row: its errors, and the row as the file gave it (null when the file's row was unreadable). */
export interface FailedRow {
  row: number;
  errors: Array<{ code: string; field: string | null; message: string }>;
  /** a JSON object's text: column → cell for a CSV, the record itself for NDJSON and JSON */
  source: string | null;
}

/** The first `limit` failed rows' numbers whose source is not kept yet, in row order. */
export async function failedRowsWithoutSource(
  db: Db,
  tenantId: number,
  jobId: number,
  limit: number,
): Promise<number[]> {
  const result = await sql<{ rowNumber: number }>`
    select distinct e.row_number from import_row_errors e
    where e.tenant_id = ${tenantId} and e.job_id = ${jobId}
      and not exists (select 1 from import_failed_rows f
        where f.tenant_id = e.tenant_id and f.job_id = e.job_id and f.row_number = e.row_number)
    order by e.row_number limit ${limit}`.execute(db);
  return result.rows.map((r) => Number(r.rowNumber));
}

/** Keeps failed rows' sources; a row kept before (a run that resumed) keeps its first. */
export async function keepFailedRowSources(
  db: Db,
  tenantId: number,
  jobId: number,
  rows: ReadonlyArray<{ row: number; source: string }>,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`insert into import_failed_rows (tenant_id, job_id, row_number, source)
    select ${tenantId}, ${jobId}, * from unnest(${arrayParameter(
      rows.map((r) => r.row),
      "bigint",
    )}, ${arrayParameter(
      rows.map((r) => r.source),
      "text",
    )})
    on conflict do nothing`.execute(db);
}

/** The columns of the first failed row whose source is kept (a CSV's header), or none. */
export async function firstKeptSourceColumns(
  db: Db,
  tenantId: number,
  jobId: number,
  /** the file's columns as the job met them: for a job whose failed rows could none be read (past an unclosed quote) */
  jobColumns: readonly string[] = [],
): Promise<string[]> {
  const result = await sql<{ source: string }>`
    select source from import_failed_rows where tenant_id = ${tenantId} and job_id = ${jobId} and source is not null
    order by row_number limit 1`.execute(db);
  return result.rows[0] ? Object.keys(JSON.parse(result.rows[0].source)) : [...jobColumns];
}

/** Every failed row of a job in row order, with all its errors and its kept source, a page at a time. */
export async function* readFailedRows(db: Db, tenantId: number, jobId: number): AsyncGenerator<FailedRow> {
  let after = 0;
  for (;;) {
    const page = await sql<{ rowNumber: number; errors: string; source: string | null }>`
      select e.row_number, f.source,
        json_agg(json_build_object('code', e.code, 'field', e.field, 'message', e.message) order by e.seq)::text as errors
      from import_row_errors e
      left join import_failed_rows f on f.tenant_id = e.tenant_id and f.job_id = e.job_id and f.row_number = e.row_number
      where e.tenant_id = ${tenantId} and e.job_id = ${jobId} and e.row_number > ${after}
      group by e.row_number, f.source
      order by e.row_number limit 2000`.execute(db);
    if (page.rows.length === 0) return;
    for (const r of page.rows) {
      after = Number(r.rowNumber);
      yield { row: after, errors: JSON.parse(r.errors), source: r.source };
    }
  }
}
