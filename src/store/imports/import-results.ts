import { type Kysely, type RawBuilder, sql, type Transaction } from "kysely";
import { arrayParameter } from "../contacts/contact-columns.js";
import type { Database } from "../schema.js";
import { storableText } from "../storable-text.js";
import { type ChunkCounts, checkpointAdvance } from "./import-jobs.js";

export type RowStatus = "created" | "updated" | "unchanged" | "error" | "skipped";

/** One source row's outcome as the results file shows it: one line per error, or one line when it went in. */
export interface RowOutcome {
  row: number;
  status: RowStatus;
  contactId: number | null;
  errorCode: string | null;
  field: string | null;
  message: string | null;
}

export interface RowError {
  row: number;
  code: string;
  field?: string | null;
  message: string;
}

const letterOf: Record<RowStatus, string> = {
  created: "c",
  updated: "u",
  unchanged: "n",
  error: "e",
  skipped: "s",
};
const statusOf: Record<string, RowStatus> = {
  c: "created",
  u: "updated",
  n: "unchanged",
  e: "error",
  s: "skipped",
};

type Db = Kysely<Database> | Transaction<Database>;

/** A committed chunk's outcomes, as the job stores them. */
export interface ChunkOutcomes {
  /** the source row of the first status */
  firstRow: number;
  statuses: RowStatus[];
  contactIds: number[];
  errors: RowError[];
}

/**
 * The statements that store a chunk's outcomes: rows firstRow … firstRow + statuses.length - 1, one status
 * and one contact id (0 for none) each, in one row; and one row per error.
 */
function outcomeInserts(tenantId: number, jobId: number, chunk: ChunkOutcomes): Array<RawBuilder<unknown>> {
  const { firstRow, statuses, contactIds, errors } = chunk;
  const inserts: Array<RawBuilder<unknown>> = [];
  if (statuses.length > 0) {
    inserts.push(sql`insert into import_result_chunks (tenant_id, job_id, first_row, statuses, contact_ids)
      values (${tenantId}, ${jobId}, ${firstRow}, ${statuses.map((s) => letterOf[s]).join("")}, ${arrayParameter(contactIds, "bigint")})`);
  }
  if (errors.length > 0) {
    const seqs: number[] = [];
    for (let i = 0; i < errors.length; i++)
      seqs.push(i > 0 && errors[i - 1].row === errors[i].row ? seqs[i - 1] + 1 : 0);
    inserts.push(sql`insert into import_row_errors (tenant_id, job_id, row_number, seq, code, field, message)
      select ${tenantId}, ${jobId}, * from unnest(${errors.map((e) => e.row)}::bigint[], ${seqs}::int[],
        ${errors.map((e) => e.code)}::text[], ${errors.map((e) => (e.field == null ? null : storableText(e.field)))}::text[], ${errors.map((e) => storableText(e.message))}::text[])`);
  }
  return inserts;
}

/**
 * Stores a chunk's outcomes and advances the job's checkpoint and counters (`checkpointAdvance`) in one
 * statement, inside the chunk's transaction after `lockImportJob`: a round trip each was a few per cent of
 * a chunk's time on the job's critical path.
 */
export async function recordChunk(
  trx: Transaction<Database>,
  tenantId: number,
  jobId: number,
  chunk: ChunkOutcomes,
  counts: ChunkCounts,
) {
  const inserts = outcomeInserts(tenantId, jobId, chunk).map(
    (insert, i) => sql`${sql.raw(`o${i}`)} as (${insert})`,
  );
  const advance = checkpointAdvance(tenantId, jobId, counts);
  await (inserts.length > 0 ? sql`with ${sql.join(inserts, sql`, `)} ${advance}` : advance).execute(trx);
}

/** Every row's outcome in row order (errors only when `onlyErrors`), read a page at a time. */
export async function* readRowOutcomes(
  db: Db,
  tenantId: number,
  jobId: number,
  onlyErrors: boolean,
): AsyncGenerator<RowOutcome> {
  if (onlyErrors) {
    let after = { row: 0, seq: -1 };
    for (;;) {
      const page = await sql<{
        rowNumber: number;
        seq: number;
        code: string;
        field: string | null;
        message: string;
      }>`
        select row_number, seq, code, field, message from import_row_errors
        where tenant_id = ${tenantId} and job_id = ${jobId} and (row_number, seq) > (${after.row}, ${after.seq})
        order by row_number, seq limit 5000`.execute(db);
      if (page.rows.length === 0) return;
      for (const e of page.rows) {
        const row = Number(e.rowNumber);
        yield {
          row,
          status: "error",
          contactId: null,
          errorCode: e.code,
          field: e.field,
          message: e.message,
        };
        after = { row, seq: e.seq };
      }
    }
  }
  let nextFirstRow = 0;
  for (;;) {
    const chunks = await sql<{ firstRow: number; statuses: string; contactIds: number[] }>`
      select first_row, statuses, contact_ids from import_result_chunks
      where tenant_id = ${tenantId} and job_id = ${jobId} and first_row >= ${nextFirstRow}
      order by first_row limit 4`.execute(db);
    if (chunks.rows.length === 0) return;
    const first = Number(chunks.rows[0].firstRow);
    const lastChunk = chunks.rows[chunks.rows.length - 1];
    const last = Number(lastChunk.firstRow) + lastChunk.statuses.length - 1;
    const errors = await sql<{ rowNumber: number; code: string; field: string | null; message: string }>`
      select row_number, code, field, message from import_row_errors
      where tenant_id = ${tenantId} and job_id = ${jobId} and row_number between ${first} and ${last}
      order by row_number, seq`.execute(db);
    let e = 0;
    for (const chunk of chunks.rows) {
      const firstRow = Number(chunk.firstRow);
      for (let i = 0; i < chunk.statuses.length; i++) {
        const row = firstRow + i;
        const status = statusOf[chunk.statuses[i]];
        const id = Number(chunk.contactIds[i]);
        const contactId = id > 0 ? id : null;
        while (e < errors.rows.length && Number(errors.rows[e].rowNumber) < row) e++;
        if (status === "error" && e < errors.rows.length && Number(errors.rows[e].rowNumber) === row) {
          while (e < errors.rows.length && Number(errors.rows[e].rowNumber) === row) {
            const err = errors.rows[e++];
            yield { row, status, contactId, errorCode: err.code, field: err.field, message: err.message };
          }
        } else {
          yield { row, status, contactId, errorCode: null, field: null, message: null };
        }
      }
      nextFirstRow = firstRow + chunk.statuses.length;
    }
  }
}
