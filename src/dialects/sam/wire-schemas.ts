import Type, { type TSchema } from "typebox";
import { contactJsonFields } from "./mapping.js";

// `type: [x, "null"]` rather than a union: Ajv then reports one readable error per bad field
// ("must be integer,null") instead of one per union branch.
const nullableOf = (...types: string[]): TSchema => Type.Unsafe({ type: [...types, "null"] });

const fieldTypes: Record<string, TSchema> = Object.fromEntries(
  contactJsonFields.map((name) => [name, nullableOf("string")]),
);
// SAM's own id is read-only here (ignored on input) but clients echo what they read.
fieldTypes.contactId = nullableOf("integer", "string");
// Partner CRMs often key their records by number; the id is kept as its decimal text.
fieldTypes.externalId = nullableOf("string", "integer");
fieldTypes.contactCreated = nullableOf("integer");
fieldTypes.contactModified = nullableOf("integer");
fieldTypes.dateOfBirth = nullableOf("string", "integer");

/** One `ContactJSON` (page 003); every field optional and nullable, unknown fields refused. */
export const ContactJsonSchema = Type.Object(
  Object.fromEntries(Object.entries(fieldTypes).map(([name, schema]) => [name, Type.Optional(schema)])),
  { additionalProperties: false },
);

/** The upsert body: an array of ContactJSON. */
export const ContactJsonArraySchema = Type.Array(ContactJsonSchema);

/** One element of the upsert answer. */
export const UpsertAnswerSchema = Type.Array(
  Type.Object({ recordId: Type.String(), rowsAffected: Type.Integer() }),
);
