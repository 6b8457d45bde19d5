import type { Kysely } from "kysely";
import { executeStatements } from "./execute-statements.js";

// The order of an import file's day-first or month-first dates (docs/imports.md, `dateFormat`), as HubSpot's
// imports name it; a job queued before this reads its dates as it did, year first.
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeStatements(
    db,
    "alter table import_jobs add column date_format text not null default 'YEAR_MONTH_DAY'",
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await executeStatements(db, "alter table import_jobs drop column date_format");
}
