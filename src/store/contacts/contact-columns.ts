import { type RawBuilder, sql } from "kysely";
import type { ScalarValue } from "../../core/contact.js";
import { type ContactFieldSpec, contactFields } from "../../core/contact-fields.js";
import { copyCell, copyFromStdin } from "../copy-in.js";

/** The SQL type of a contact field's column. */
export const sqlTypes: Record<ContactFieldSpec["type"], string> = {
  text: "text",
  boolean: "boolean",
  date: "date",
  reference: "bigint",
  timestamp: "timestamptz",
};

/** The contacts table's scalar columns, in field order. */
export const scalarColumns = contactFields.map((f) => f.column);

/**
 * SQL fragments for a recordset holding only the given fields: a batch that sets 12 of ~100 fields makes
 * PostgreSQL parse and write 12 columns, not 100 (the rest keep their defaults or stored values).
 */
export function recordsetFragments(fieldNames: ReadonlySet<string>) {
  const fields = contactFields.filter((f) => fieldNames.has(f.name));
  return {
    fields,
    columns: fields.map((f) => f.column).join(", "),
    /** `t."name", …` */
    values: fields.map((f) => `t."${f.name}"`).join(", "),
    /** `col = t."name", …` */
    assignments: fields.map((f) => `${f.column} = t."${f.name}"`).join(", "),
    count: fields.length,
  };
}

// Unit and record separators of ASCII: a column's cells travel as one text joined by US, with RS for null.
const cellSeparator = "\x1f";
const nullCell = "\x1e";

/** A cell's text as PostgreSQL reads it back into the column's type; null for SQL NULL. */
function cellText(value: ScalarValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : String(value);
}

/** Whether string_to_array gives this cell back as it is: no separator in it, not the null marker. */
function splitsBack(text: string, count: number): boolean {
  return !text.includes(cellSeparator) && text !== nullCell && !(text === "" && count === 1);
}

/** The SQL that splits cells joined by the separator back into an array of the type (null marker → NULL). */
function splitCells(cells: readonly string[], arrayType: string): RawBuilder<unknown> {
  return sql`string_to_array(${cells.join(cellSeparator)}, E'\\x1f', E'\\x1e')::${sql.raw(arrayType)}`;
}

/**
 * `string_to_array(…)::type[]`: an array parameter as one joined text. pg writes an array parameter as
 * a literal element by element, quoting and escaping each (for a 2,000-row chunk's ids, identifiers and
 * outcomes, 8% of an import's allocations); a value that would not split back travels as a plain array.
 */
export function arrayParameter(
  values: ReadonlyArray<string | number | null>,
  type: "text" | "bigint",
): RawBuilder<unknown> {
  const cells = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null) cells[i] = nullCell;
    else if (typeof value === "number") cells[i] = String(value);
    else if (splitsBack(value, values.length)) cells[i] = value;
    else return sql`${values}::${sql.raw(type)}[]`;
  }
  return splitCells(cells, `${type}[]`);
}

/**
 * `unnest(…) as t(id, "name", …)`: the rows as a recordset sent column by column, each column one text
 * parameter that PostgreSQL splits with string_to_array. Measured against json_to_recordset on 2,000 rows
 * of 44 text columns: 46 against 105 ms on PostgreSQL, 80 against 112 ms on PGlite, and joining costs
 * node less than JSON.stringify. A column holding a separator, or a one-row batch's empty string (which
 * string_to_array reads as no element at all), travels as a JSON array instead, so any text round-trips.
 */
export function columnarRecordset(
  ids: readonly number[],
  rows: ReadonlyArray<Readonly<Record<string, ScalarValue | undefined>>>,
  fields: readonly ContactFieldSpec[],
): RawBuilder<unknown> {
  const columns: Array<RawBuilder<unknown>> = [arrayParameter(ids, "bigint")];
  const cells = new Array<string>(rows.length);
  for (const field of fields) {
    let splittable = true;
    for (let i = 0; i < rows.length; i++) {
      const text = cellText(rows[i][field.name]);
      if (text === null) {
        cells[i] = nullCell;
        continue;
      }
      if (!splitsBack(text, rows.length)) splittable = false;
      cells[i] = text;
    }
    const type = `${sqlTypes[field.type]}[]`;
    if (splittable) {
      columns.push(splitCells(cells, type));
    } else {
      const values = JSON.stringify(rows.map((row) => cellText(row[field.name])));
      columns.push(
        sql`array(select v from json_array_elements_text(${values}::json) with ordinality as j(v, n) order by n)::${sql.raw(type)}`,
      );
    }
  }
  const names = ["id", ...fields.map((f) => `"${f.name}"`)].join(", ");
  return sql`unnest(${sql.join(columns, sql`, `)}) as t(${sql.raw(names)})`;
}

/**
 * New contacts as one COPY FROM STDIN on PostgreSQL: the server reads COPY's text format faster than it
 * splits and unnests the same cells (2,000 rows of 44 text columns: 19 against 28 ms, docs/benchmarks-import.md).
 */
export function copyNewContacts(
  tenantId: number,
  actor: string,
  ids: readonly number[],
  rows: ReadonlyArray<Readonly<Record<string, ScalarValue | undefined>>>,
  fields: readonly ContactFieldSpec[],
): RawBuilder<unknown> {
  const columns = ["tenant_id", "id", ...fields.map((f) => f.column), "created_by", "modified_by"];
  // Each piece of 100 rows (≈ 50 KB) is one join of its cells, made once: cell after cell added to a string
  // made a rope node per cell (5.3 KB of garbage per 45-column row), and a join per row a copy per row.
  // Rows end inside that join: the cell between two rows is "actor\ntenant" (the last cell of one, the
  // first of the next), both the same for the whole batch.
  const actorCell = copyCell(actor);
  const tenant = String(tenantId);
  const between = `${actorCell}\n${tenant}`;
  const perRow = fields.length + 3;
  function* pieces(): Generator<string> {
    for (let first = 0; first < rows.length; first += 100) {
      const last = Math.min(rows.length, first + 100);
      const parts = new Array<string>((last - first) * perRow + 1);
      parts[0] = tenant;
      let at = 1;
      for (let i = first; i < last; i++) {
        const row = rows[i];
        parts[at++] = String(ids[i]);
        for (let f = 0; f < fields.length; f++) parts[at++] = copyCell(cellText(row[fields[f].name]));
        parts[at++] = actorCell;
        parts[at++] = i === last - 1 ? `${actorCell}\n` : between;
      }
      yield parts.join("\t");
    }
  }
  return copyFromStdin(`contacts (${columns.join(", ")})`, pieces());
}
