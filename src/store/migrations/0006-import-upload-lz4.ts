import { type Kysely, sql } from "kysely";
import { executeStatements } from "./execute-statements.js";

// An upload's pieces are stored compressed with lz4 where the server has it: PostgreSQL wrote 1 MiB pieces
// of a 54 MB CSV at 71-134 MB/s compressed against 33-41 MB/s uncompressed (pglz, the default method:
// 44 MB/s), and kept a third of the bytes; lz4 reads back at memory speed. The upload is the part of an
// import before its first row is written. A server built without lz4 (and PGlite, which keeps uploads as
// files in its data folder anyway) keeps them uncompressed: the block then changes nothing.
export async function up(db: Kysely<unknown>): Promise<void> {
  // One DO block (not split into statements): both settings change, or neither.
  await sql
    .raw(`do $$ begin
      alter table import_upload_pieces alter column data set storage extended;
      alter table import_upload_pieces alter column data set compression lz4;
    exception when feature_not_supported then
      null;
    end $$`)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await executeStatements(
    db,
    `alter table import_upload_pieces alter column data set compression default;
     alter table import_upload_pieces alter column data set storage external`,
  );
}
