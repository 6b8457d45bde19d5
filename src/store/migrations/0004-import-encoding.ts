import type { Kysely } from "kysely";
import { executeStatements } from "./execute-statements.js";

// The character encoding an import's sender named for its file (docs/imports.md, `encoding`); readers
// take UTF-8, and a file named otherwise is transcoded as it is read.
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeStatements(db, "alter table import_jobs add column encoding text not null default 'utf-8'");
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await executeStatements(db, "alter table import_jobs drop column encoding");
}
