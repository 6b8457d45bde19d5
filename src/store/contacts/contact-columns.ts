import { type ContactFieldSpec, contactFields } from "../../core/contact-fields.js";

const sqlTypes: Record<ContactFieldSpec["type"], string> = {
  text: "text",
  boolean: "boolean",
  date: "date",
  reference: "bigint",
  timestamp: "timestamptz",
};

/** `col type, …` for jsonb_to_recordset's column definition list, keyed by the camelCase field names. */
export const recordsetColumns = contactFields.map((f) => `"${f.name}" ${sqlTypes[f.type]}`).join(", ");

/** The contacts table's scalar columns, in field order. */
export const scalarColumns = contactFields.map((f) => f.column);

/** `col = t."name", …` for a full-row update from a recordset aliased t. */
export const updateAssignments = contactFields.map((f) => `${f.column} = t."${f.name}"`).join(", ");

/** `t."name", …` in field order. */
export const recordsetValues = contactFields.map((f) => `t."${f.name}"`).join(", ");
