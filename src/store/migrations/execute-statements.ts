import { type Kysely, sql } from "kysely";

// PGlite's parameterised query path takes one statement at a time, so DDL is run statement by statement.
export async function executeStatements(db: Kysely<unknown>, script: string): Promise<void> {
  for (const statement of script.split(/;\s*\n/)) {
    if (statement.trim() !== "") await sql.raw(statement).execute(db);
  }
}
