import { defaultMatchOptions } from "../../core/score-match.js";
import { validateContactInput } from "../../core/validate-contact.js";
import type { ImportShape, ShapedChunk } from "../../jobs/import-shapes.js";
import { applyReferenceIds, bindContactUpsertDto, upsertWireFieldOf } from "./contact-upsert-dto.js";
import { flatRowFields, groupFlatRows } from "./group-flat-rows.js";
import { studentIdScheme } from "./mapping.js";
import { personalIdentifierKey, scoredMatch } from "./match-hooks.js";
import { upsertReasons } from "./upsert-contact-routes.js";

const lowerFlatFields = new Set(flatRowFields.map((f) => f.toLowerCase()));

/** `contacts[3].EmailAddress` or `contact.Tags[0].Tag` → the flat column, `EmailAddress` or `Tag`. */
const flatColumnOf = (path: string | undefined) => path?.slice(path.lastIndexOf(".") + 1) || undefined;

/**
 * Hobsons' `FlatContactUpsertDto` rows (page 002) as an import: the pre-processor's grouping by Personal
 * Identifier, then UpsertContact's matching (CrmNumber, StudentInstitutionId, the scored PI match with the
 * vendor's default parameters). Rows are grouped within a chunk; a person whose rows fall into two chunks
 * still becomes one contact, because the second chunk's rows match the first chunk's contact by PI, and
 * identical tags, consents, courses and communications are stored once.
 */
export const hobsonsFlatImportShape: ImportShape = {
  name: "hobsons",
  idProperty: studentIdScheme,
  headerSynonyms: Object.fromEntries(flatRowFields.map((f) => [f, []])),
  isTarget: (target) => lowerFlatFields.has(target.toLowerCase()),
  targetOfField: upsertWireFieldOf,
  shapeChunk(records, context): ShapedChunk {
    const out: ShapedChunk = { inputs: [], errors: [] };
    // The pre-processor refuses a whole request for one bad row; an import fails that row alone and groups
    // the rest, so a chunk with bad rows is grouped twice.
    let slots = records.map((_, i) => i);
    let grouped = groupFlatRows(records);
    if (grouped.errors.length > 0) {
      const bad = new Set<number>();
      for (const e of grouped.errors) {
        const slot = e.index ?? 0;
        bad.add(slot);
        out.errors.push({ slot, error: { code: e.code, field: flatColumnOf(e.field), message: e.message } });
      }
      slots = slots.filter((s) => !bad.has(s));
      if (slots.length === 0) return out;
      grouped = groupFlatRows(slots.map((s) => records[s]));
    }
    for (const [i, contact] of grouped.contacts.entries()) {
      const related = contact.InRelatedRows === "" ? [] : contact.InRelatedRows.split(",").map(Number);
      const groupSlots = [contact.InRow, ...related].map((row) => slots[row - 1]);
      const bound = bindContactUpsertDto(contact.OutData, i, "contact");
      const found = applyReferenceIds(bound, (ref) => context.references(ref.kind, ref.name), i, "contact");
      const errors = [...bound.errors, ...found].map((e) => ({
        code: e.code,
        field: flatColumnOf(e.field),
        message: e.message,
      }));
      // A contact refused for its types or references also says what the engine's checks find in the rest
      // of it, so a row is fixed in one round.
      if (errors.length > 0)
        for (const e of validateContactInput(bound.input, i))
          errors.push({
            code: e.code,
            field: e.field === undefined ? undefined : flatColumnOf(upsertWireFieldOf(e.field)),
            message: e.message,
          });
      if (errors.length > 0) {
        for (const slot of groupSlots) for (const error of errors) out.errors.push({ slot, error });
      } else out.inputs.push({ input: bound.input, slots: groupSlots });
    }
    return out;
  },
  upsert: {
    requireMatchKey: false,
    defaultReasons: upsertReasons,
    hooks: { fallbackMatch: scoredMatch(defaultMatchOptions), fallbackKey: personalIdentifierKey },
  },
};
