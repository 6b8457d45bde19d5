import { type ContactFieldSpec, contactFields } from "../../core/contact-fields.js";

const sqlTypes: Record<ContactFieldSpec["type"], string> = {
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
    columns: fields.map((f) => f.column).join(", "),
    /** `"name" type, …` for json_to_recordset's column definition list */
    definitions: fields.map((f) => `"${f.name}" ${sqlTypes[f.type]}`).join(", "),
    /** `t."name", …` */
    values: fields.map((f) => `t."${f.name}"`).join(", "),
    /** `col = t."name", …` */
    assignments: fields.map((f) => `${f.column} = t."${f.name}"`).join(", "),
    count: fields.length,
  };
}
