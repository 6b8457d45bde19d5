import type { Kysely } from "kysely";
import { executeStatements } from "./execute-statements.js";

// The mapping a job applied to the file's columns (column → field, null for a column it did not import), so
// its status shows what the automatic mapping made of the headers, not only the request's own mapping. It is
// kept as [column, field] pairs: a jsonb object would not keep the file's column order.
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeStatements(
    db,
    "alter table import_jobs add column column_mapping jsonb not null default '[]'::jsonb",
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await executeStatements(db, "alter table import_jobs drop column column_mapping");
}
