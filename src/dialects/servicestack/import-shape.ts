import { validateContactInput } from "../../core/validate-contact.js";
import type { ImportShape } from "../../jobs/import-shapes.js";
import { regentIdScheme, toCanonical, wireFieldName } from "./mapping.js";
import { serviceStackUpsertHooks } from "./match-personal-identity.js";
import { contactCreateRequestFields } from "./wire-schemas.js";

const wireFields = Object.keys(contactCreateRequestFields);

/**
 * Rows of the page's `CRMContactCreateRequest` fields (snake_case columns, any case), upserted as the
 * endpoint does: by `regent_id`, else by normalised email + names + date of birth, else created. An empty
 * cell is "not given" (a CSV cannot say otherwise), where the JSV wire's empty string clears a field.
 */
export const serviceStackImportShape: ImportShape = {
  name: "servicestack",
  idProperty: regentIdScheme,
  headerSynonyms: Object.fromEntries(wireFields.map((f) => [f, []])),
  isTarget: (target) => Object.hasOwn(contactCreateRequestFields, target.toLowerCase()),
  targetOfField: (field) => wireFieldName(field) ?? field,
  toContactInput(record, _row, context) {
    const wire: Record<string, unknown> = {};
    for (const column in record) {
      const value = record[column];
      if (value !== undefined && value !== "") wire[column] = value;
    }
    const mapped = toCanonical(wire, 0, {
      countryId: (nameOrCode) => context.references("country", nameOrCode),
      userName: context.userName,
    });
    if (mapped.problems.length > 0)
      return {
        errors: [
          ...mapped.problems.map((p) => ({
            code: p.code,
            // The mapping names `contacts[0].dob`; a file row's column is `dob`.
            field: p.field?.slice(p.field.lastIndexOf(".") + 1),
            message: p.message,
          })),
          // As the endpoint answers: the engine's checks of the rest of the row too, every problem at once.
          ...validateContactInput(mapped.input, 0).map((e) => ({
            code: e.code,
            field: e.field === undefined ? undefined : (wireFieldName(e.field) ?? e.field),
            message: e.message,
          })),
        ],
      };
    return { input: mapped.input };
  },
  upsert: { requireMatchKey: false, hooks: serviceStackUpsertHooks },
};
