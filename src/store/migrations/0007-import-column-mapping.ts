import type { Kysely } from "kysely";
import { executeStatements } from "./execute-statements.js";

// The mapping a job applied to the file's columns (column → field, null for a column it did not import), so
// its status shows what the automatic mapping made of the headers, not only the request's own mapping. It is
// kept as [column, field] pairs: a jsonb object would not keep the file's column order. The unmapped columns
// (0005) are the pairs with no field: they move in, and their own column goes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeStatements(
    db,
    `alter table import_jobs add column column_mapping jsonb not null default '[]'::jsonb;
    update import_jobs set column_mapping = (
      select coalesce(jsonb_agg(jsonb_build_array(column_name, null) order by position), '[]'::jsonb)
      from jsonb_array_elements_text(unmapped_columns) with ordinality as listed(column_name, position));
    alter table import_jobs drop column unmapped_columns`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await executeStatements(
    db,
    `alter table import_jobs add column unmapped_columns jsonb not null default '[]'::jsonb;
    update import_jobs set unmapped_columns = (
      select coalesce(jsonb_agg(pair -> 0 order by position), '[]'::jsonb)
      from jsonb_array_elements(column_mapping) with ordinality as listed(pair, position)
      where pair -> 1 = 'null'::jsonb);
    alter table import_jobs drop column column_mapping`,
  );
}
