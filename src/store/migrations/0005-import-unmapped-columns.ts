import type { Kysely } from "kysely";
import { executeStatements } from "./execute-statements.js";

// The file columns an import did not map to any field, so its status can say what was left out (a column
// misspelt, or one the shape has no field for) instead of dropping it without a word.
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeStatements(
    db,
    "alter table import_jobs add column unmapped_columns jsonb not null default '[]'::jsonb",
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await executeStatements(db, "alter table import_jobs drop column unmapped_columns");
}
