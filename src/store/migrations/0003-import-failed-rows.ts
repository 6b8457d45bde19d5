import type { Kysely } from "kysely";
import { executeStatements } from "./execute-statements.js";

// The source of each failed import row, as the file gave it, so a user can download the rows that failed
// with their errors, fix them and import them again (docs/imports.md, "Failed rows"). The upload itself is
// deleted when its job ends; these rows are kept when it ends, by reading the upload once more.
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeStatements(
    db,
    `
  create table import_failed_rows (
    tenant_id bigint not null,
    job_id bigint not null,
    row_number bigint not null,
    source text not null,
    primary key (tenant_id, job_id, row_number)
  )
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await executeStatements(db, "drop table import_failed_rows");
}
