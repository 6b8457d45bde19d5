import { type RawBuilder, sql } from "kysely";

/**
 * An expression for `count` new contact ids from the sequence, as one comma-separated text (read it with
 * `parseContactIds`): one value, not a row per id, which a 2,000-row chunk's ids were for the driver to
 * decode. `count` may be an expression of the statement it is part of.
 */
export function newContactIds(count: number | RawBuilder<number>): RawBuilder<string> {
  return sql<string>`array_to_string(array(select nextval('contact_id_seq') from generate_series(1, ${count})), ',')`;
}

/** The ids a `newContactIds` text holds, in order (none for an empty text). */
export function parseContactIds(text: string): number[] {
  return text === "" ? [] : text.split(",").map(Number);
}
