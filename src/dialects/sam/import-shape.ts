import { renameErrorField } from "../../core/errors.js";
import { validateContactInput } from "../../core/validate-contact.js";
import type { ImportShape } from "../../jobs/import-shapes.js";
import {
  type ContactJson,
  contactJsonFields,
  externalIdScheme,
  toCanonical,
  wireFieldName,
} from "./mapping.js";
import { samUpsertHooks } from "./upsert-hooks.js";

/**
 * NextInteract SAM's `ContactJSON`, one object per row (file columns named like its fields), through the
 * dialect's own pure mapping. A cell holds text; where the mapping wants a number (its epoch-millisecond
 * clocks) a digit-only cell is read as one, so the shape needs no list of SAM's field names. Rows are
 * upserted as the endpoint does: by `externalId`, else by email1 + first and last name, and a row whose
 * `contactModified` is older than the stored one is not saved (`skipped`).
 */
export const samImportShape: ImportShape = {
  name: "sam",
  idProperty: externalIdScheme,
  headerSynonyms: Object.fromEntries(contactJsonFields.map((f) => [f, []])),
  isTarget: (target) => contactJsonFields.includes(target),
  targetOfField: (field) => wireFieldName(field),
  toContactInput(record, _row, context) {
    const wire: ContactJson = {};
    const lists: string[] = [];
    for (const [key, value] of Object.entries(record)) {
      if (value === undefined || value === "") continue;
      // Every ContactJSON field is a string or a number (the endpoint refuses anything else): an NDJSON
      // row's list or object is the row's error, not JSON text stored in a name or a note.
      if (typeof value === "object" && value !== null) lists.push(key);
      else wire[key] = value as string | number | null;
    }
    if (lists.length > 0)
      return {
        errors: lists.map((field) => ({
          code: "CONTACT_FIELD_INVALID",
          field,
          message: `${field} must be a string or a number, not a list or object`,
        })),
      };
    const countryIdOf = (code: string) => context.references("country", code);
    let mapped = toCanonical(wire, countryIdOf);
    const numeric = mapped.problems.filter(
      (p) => typeof wire[p.field] === "string" && /^-?\d{1,15}$/.test(wire[p.field] as string),
    );
    if (numeric.length > 0) {
      for (const p of numeric) wire[p.field] = Number(wire[p.field]);
      mapped = toCanonical(wire, countryIdOf);
    }
    if (mapped.problems.length > 0)
      return {
        errors: [
          ...mapped.problems.map((p) => ({
            code: "CONTACT_FIELD_INVALID",
            field: p.field,
            message: p.message,
          })),
          // As the endpoint answers: the engine's checks of the rest of the row too, every problem at once.
          ...validateContactInput(mapped.input, 0).map((e) => {
            const { code, field, message } =
              e.field === undefined ? e : renameErrorField(e, wireFieldName(e.field));
            return { code, field, message };
          }),
        ],
      };
    return { input: mapped.input };
  },
  upsert: { requireMatchKey: false, hooks: samUpsertHooks },
};
