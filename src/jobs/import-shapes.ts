import { type ContactInput, contactCollections, type ScalarValue } from "../core/contact.js";
import { contactFields, contactFieldsByName, identifierSchemePattern } from "../core/contact-fields.js";
import { type DateFormat, dateFormatPatterns, isYearLastDate, readDateInFormat } from "../core/dates.js";
import type { IdProperty } from "../core/match-key.js";
import { compilePlainConstructor, LayoutCache, thisProperty } from "../core/record-layouts.js";
import { validateContactInput } from "../core/validate-contact.js";
import { hobsonsFlatImportShape } from "../dialects/hobsons/import-shape.js";
import { samImportShape } from "../dialects/sam/import-shape.js";
import { serviceStackImportShape } from "../dialects/servicestack/import-shape.js";
import type { UpsertOptions } from "../store/contacts/upsert-contacts.js";
import type { ReferenceLookup } from "./reference-lookup.js";

/** One problem with one source row, before or after the engine saw it. */
export interface ShapeError {
  code: string;
  /** the target (field) name; the job turns it into the file's column name */
  field?: string;
  message: string;
}

export interface ShapeContext {
  references: ReferenceLookup;
  /** the order of the file's day-first or month-first dates (the job's `dateFormat`) */
  dateFormat: DateFormat;
  /** the tenant user's own spelling of a user name, when the tenant has that user */
  userName(name: string): string | undefined;
}

/** A shape's rows of one chunk as engine inputs: each input names the chunk positions (slots) it came from. */
export interface ShapedChunk {
  inputs: Array<{ input: ContactInput; slots: number[] }>;
  /** problems of single rows, by slot; a slot with an error feeds no input */
  errors: Array<{ slot: number; error: ShapeError }>;
}

/**
 * How one kind of file row becomes a canonical contact input. A row reaches the shape already mapped:
 * its keys are the shape's target names (the column mapping, given or automatic, ran before).
 */
export interface ImportShape {
  name: string;
  /** the idProperty a job uses when the upload names none */
  idProperty: string;
  /** target → header spellings that also map to it (compared case-, space-, underscore-insensitively) */
  headerSynonyms: Readonly<Record<string, readonly string[]>>;
  /** whether a mapping may name this target */
  isTarget(target: string): boolean;
  /** the target an engine error's canonical field came from, when the shape's targets are not canonical names */
  targetOfField?(canonicalField: string): string;
  /** the row as a contact input, or why it cannot be one */
  toContactInput?(
    record: Record<string, unknown>,
    row: number,
    context: ShapeContext,
  ): { input: ContactInput } | { errors: ShapeError[] };
  /**
   * A whole chunk's mapped rows at once, for shapes whose rows combine into one contact (Hobsons flat rows,
   * grouped by Personal Identifier); a shape has this or `toContactInput`.
   */
  shapeChunk?(records: ReadonlyArray<Record<string, unknown>>, context: ShapeContext): ShapedChunk;
  /**
   * The targets a row's match key can come from under this idProperty (one of them must be fed by a column
   * for any row to match), or null when the shape cannot say.
   */
  matchKeyTargets?(idProperty: IdProperty): readonly string[] | null;
  /** how the engine matches and records this shape's inputs, when not by the job's idProperty alone */
  upsert?: Pick<UpsertOptions, "requireMatchKey" | "hooks" | "defaultReasons">;
}

const collectionTargets = new Set<string>(contactCollections);
const envelopeTargets = new Set([
  "id",
  "identifiers",
  "heatStatusReason",
  "contactStatusReason",
  "contactStatusDate",
]);

const trueWords = new Set(["true", "yes", "y", "1", "t"]);
const falseWords = new Set(["false", "no", "n", "0", "f"]);

/** A cell as the field's type wants it; undefined leaves the stored value alone, a string error explains. */
function convertValue(
  name: string,
  raw: unknown,
  context: ShapeContext,
): { value: ScalarValue | undefined } | { error: ShapeError } {
  const spec = contactFieldsByName.get(name);
  if (raw === undefined) return { value: undefined };
  if (raw === null) return { value: null };
  // An empty cell leaves the stored value alone (a CSV cannot tell "empty" from "not given"); `#N/A` clears,
  // as in Salesforce Data Loader.
  if (typeof raw === "string") {
    if (raw === "") return { value: undefined };
    if (raw === "#N/A") return { value: null };
  }
  if (!spec) return { value: raw as ScalarValue };
  if (typeof raw === "object") {
    return {
      error: { code: "CONTACT_FIELD_INVALID", field: name, message: `${name} must be a single value` },
    };
  }
  switch (spec.type) {
    case "boolean": {
      if (typeof raw === "boolean") return { value: raw };
      const word = String(raw).trim().toLowerCase();
      if (trueWords.has(word)) return { value: true };
      if (falseWords.has(word)) return { value: false };
      return {
        error: {
          code: "CONTACT_FIELD_INVALID",
          field: name,
          message: `${name} must be true or false, got '${raw}'`,
        },
      };
    }
    case "reference": {
      if (typeof raw === "number") return { value: raw };
      const text = String(raw).trim();
      if (/^\d{1,15}$/.test(text)) return { value: Number(text) };
      const id = context.references(spec.reference as NonNullable<typeof spec.reference>, text);
      if (id !== undefined) return { value: id };
      return {
        error: {
          code: "CONTACT_REFERENCE_UNKNOWN",
          field: name,
          message: `${name} '${text}' names no ${(spec.reference ?? "reference").replace("_", "-")} of this tenant`,
        },
      };
    }
    case "text":
      return { value: typeof raw === "string" ? raw : String(raw) };
    case "date":
    case "timestamp": {
      if (typeof raw !== "string") return { value: raw as ScalarValue };
      const read = readDateInFormat(raw, context.dateFormat);
      if (read !== null) return { value: read };
      // `31/12/1990` is a date only the file's date order can read: say which order the job used.
      if (isYearLastDate(raw))
        return {
          error: {
            code: "CONTACT_DATE_INVALID",
            field: name,
            message:
              context.dateFormat === "YEAR_MONTH_DAY"
                ? `${name} '${raw}' is not YYYY-MM-DD; name the file's dateFormat (DAY_MONTH_YEAR or MONTH_DAY_YEAR) to read it`
                : `${name} '${raw}' is not a date as ${context.dateFormat} (${dateFormatPatterns[context.dateFormat]})`,
          },
        };
      return { value: raw };
    }
    default:
      return { value: typeof raw === "number" || typeof raw === "string" ? raw : String(raw) };
  }
}

function knownSchemeSynonyms(): Record<string, readonly string[]> {
  return {
    "identifiers.external_id": ["external id", "externalid", "ext id"],
    "identifiers.crm_number": ["crm number", "crm no", "crmnumber"],
    "identifiers.regent_id": ["regent id"],
    "identifiers.student_institution_id": ["student id", "student number", "institution id"],
  };
}

/** One mapped cell of a native row onto the input: a contact field, an identifier, the id, tags, a collection. */
function applyNativeTarget(
  input: ContactInput,
  target: string,
  raw: unknown,
  errors: ShapeError[],
  context: ShapeContext,
): void {
  const spec = contactFieldsByName.get(target);
  if (spec) {
    // Text cells are most of a file: they skip the converter's result object (same rules as convertValue).
    if (spec.type === "text" && typeof raw === "string") {
      if (raw !== "") input.fields[target] = raw === "#N/A" ? null : raw;
      return;
    }
    const converted = convertValue(target, raw, context);
    if ("error" in converted) errors.push(converted.error);
    else if (converted.value !== undefined) input.fields[target] = converted.value;
  } else if (target.startsWith("identifiers.")) {
    if (raw === undefined || raw === null || raw === "") return;
    input.identifiers ??= {};
    input.identifiers[target.slice("identifiers.".length)] = String(raw);
  } else if (target === "identifiers") {
    if (raw === undefined || raw === null || raw === "") return;
    // A CSV cell holds the object as JSON text (`{"student_no":"S-1"}`), as the CSV export writes it.
    const given = typeof raw === "string" ? parseJsonObject(raw) : raw;
    if (typeof given !== "object" || given === null || Array.isArray(given)) {
      errors.push({
        code: "CONTACT_FIELD_INVALID",
        field: target,
        message: 'identifiers must be an object (in a CSV cell, JSON text such as {"student_no":"S-1"})',
      });
      return;
    }
    input.identifiers = { ...input.identifiers };
    for (const [scheme, value] of Object.entries(given as Record<string, unknown>))
      input.identifiers[scheme] = String(value);
  } else if (target === "id") {
    if (raw === undefined || raw === null || raw === "") return;
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || id < 1)
      errors.push({
        code: "CONTACT_FIELD_INVALID",
        field: "id",
        message: `id must be a positive integer, got '${raw}'`,
      });
    else input.id = id;
  } else if (target === "tags") {
    if (raw === undefined || raw === null || raw === "") return;
    // A CSV cell names tags joined by `;`, or (as the CSV export writes tags whose names hold a `;`) a JSON array.
    const list = Array.isArray(raw) ? raw : typeof raw === "string" ? parseJsonArray(raw) : undefined;
    const tags = list
      ? list.map((t) => (typeof t === "object" && t !== null ? t : { tag: String(t) }))
      : String(raw)
          .split(";")
          .map((t) => t.trim())
          .filter((t) => t !== "")
          .map((tag) => ({ tag }));
    input.tags = tags as ContactInput["tags"];
  } else if (target === "notes" && typeof raw === "string") {
    // A spreadsheet's notes column: its text is one note (kept once per contact, so a file imported again
    // adds none).
    if (raw.trim() !== "") input.notes = [{ content: raw }] as ContactInput["notes"];
  } else if (collectionTargets.has(target)) {
    if (raw === undefined || raw === null || raw === "") return;
    if (!Array.isArray(raw)) {
      errors.push({
        code: "CONTACT_FIELD_INVALID",
        field: target,
        message: `${target} must be an array (JSON or NDJSON files only)`,
      });
      return;
    }
    (input as unknown as Record<string, unknown>)[target] = raw;
  } else if (envelopeTargets.has(target)) {
    if (raw === undefined || raw === "") return;
    (input as unknown as Record<string, unknown>)[target] = raw === null ? null : String(raw);
  }
}

type NativeRowBuilder = (
  record: Record<string, unknown>,
  input: ContactInput,
  errors: ShapeError[],
  context: ShapeContext,
) => void;

/**
 * `applyNativeTarget` for every key of one layout, in key order, compiled: the contact fields come from a
 * constructor that stores each by its constant name (`compilePlainConstructor`): one fast-mode object sized
 * once (0.4 KB against 2.8 KB of regrown property stores per 45-field row), not a hash table, which keyed
 * stores made of it. Keys enter the source only as JSON string literals or plain identifiers; a layout with
 * `__proto__` gets no builder.
 */
function compileNativeRow(keys: readonly string[]): NativeRowBuilder | null {
  if (keys.includes("__proto__")) return null;
  const lines = ["let v, c;"];
  for (const key of keys) {
    const k = JSON.stringify(key);
    const spec = contactFieldsByName.get(key);
    if (!spec) {
      lines.push(`other(input, ${k}, r[${k}], errors, context);`);
      continue;
    }
    const field = thisProperty(key);
    const converted = `c = convert(${k}, v, context); if ("error" in c) errors.push(c.error); else if (c.value !== undefined) ${field} = c.value;`;
    if (spec.type === "text")
      lines.push(
        `v = r[${k}]; if (typeof v === "string") { if (v !== "") ${field} = v === "#N/A" ? null : v; } else { ${converted} }`,
      );
    else lines.push(`v = r[${k}]; ${converted}`);
  }
  const Fields = compilePlainConstructor<
    Record<string, ScalarValue>,
    [Record<string, unknown>, ContactInput, ShapeError[], ShapeContext]
  >(["r", "input", "errors", "context"], lines, { convert: convertValue, other: applyNativeTarget });
  return (record, input, errors, context) => {
    input.fields = new Fields(record, input, errors, context);
  };
}

const nativeRowBuilders = new LayoutCache(compileNativeRow);

/**
 * Tributary's own fields: every contact field by its name, `id`, `identifiers.<scheme>`, `tags`
 * (a `;`-separated cell, or an array in JSON), the status reasons and date; NDJSON and JSON records may
 * also carry the native wire's nested `identifiers` object and collection arrays.
 */
export const nativeShape: ImportShape = {
  name: "native",
  idProperty: "email",
  headerSynonyms: {
    // Every target maps from its own name; the lists add the spellings spreadsheets and CRMs use.
    ...Object.fromEntries(
      [...contactFields.map((f) => f.name), ...envelopeTargets, ...collectionTargets].map((t) => [t, []]),
    ),
    id: ["contact id", "tributary id"],
    givenName: ["first name", "firstname", "given", "forename", "first"],
    surname: ["last name", "lastname", "family name", "familyname", "last"],
    middleName: ["middle name", "middle"],
    preferredName: ["nickname", "preferred"],
    email: ["email address", "e-mail", "emailaddress", "mail"],
    emailSecondary: ["secondary email", "email 2", "other email"],
    phoneMobile: ["mobile", "mobile phone", "cell", "cell phone", "mobile number"],
    phoneHome: ["home phone", "phone"],
    phoneWork: ["work phone", "business phone", "office phone"],
    dateOfBirth: ["dob", "birth date", "birthdate", "birthday", "date of birth"],
    gender: ["sex"],
    company: ["organisation", "organization", "employer", "company name"],
    correspondenceLine1: ["address", "address 1", "address line 1", "street", "street address"],
    correspondenceLine2: ["address 2", "address line 2"],
    correspondenceLine3: ["address 3", "address line 3"],
    correspondenceTown: ["city", "town", "suburb"],
    correspondenceState: ["state", "province", "region"],
    correspondencePostcode: ["postcode", "zip", "zip code", "postal code", "post code"],
    correspondenceCountryId: ["country"],
    // Not "title": Salesforce's and Outlook's "Title" are a job title, Outlook's the salutation too. Nor a bare
    // "status": a spreadsheet's status column is rarely this tenant's list of contact statuses. Both would
    // fail whole files of rows; a mapping names them.
    salutationId: ["salutation", "name prefix", "prefix"],
    profession: ["job title", "position", "occupation"],
    heatStatusId: ["heat status", "heat"],
    contactStatusId: ["contact status"],
    subChannelId: ["sub channel", "subchannel", "source"],
    intakeId: ["intake"],
    countryOfResidenceId: ["country of residence", "residence"],
    countryOfCitizenshipId: ["country of citizenship", "citizenship", "nationality"],
    tags: ["tag", "labels"],
    ...knownSchemeSynonyms(),
  },
  isTarget(target) {
    if (contactFieldsByName.has(target) || envelopeTargets.has(target) || collectionTargets.has(target))
      return true;
    return (
      target.startsWith("identifiers.") && identifierSchemePattern.test(target.slice("identifiers.".length))
    );
  },
  matchKeyTargets(idProperty) {
    if (idProperty === "id" || idProperty === "email") return [idProperty];
    // An `identifiers` column carries keys of any scheme; the PI takes four fields, each optional alone.
    if (typeof idProperty === "object") return [`identifiers.${idProperty.scheme}`, "identifiers"];
    return null;
  },
  toContactInput(record, _row, context) {
    const errors: ShapeError[] = [];
    const input: ContactInput = { fields: {} };
    const build = nativeRowBuilders.compiledFor(record);
    if (build) build(record, input, errors, context);
    else for (const target in record) applyNativeTarget(input, target, record[target], errors, context);
    if (errors.length === 0) return { input };
    // The row fails: it says everything wrong with it at once (a bad email beside a day-first date), not one
    // round of fixing at a time. The cells that failed to convert are not in the input, so none is said twice.
    for (const e of validateContactInput(input, 0))
      errors.push({ code: e.code, field: e.field, message: e.message });
    return { errors };
  },
};

/**
 * The shapes an import may name. A dialect's flat shape plugs in here: an `ImportShape` built on the
 * dialect's pure mapping, in its own folder, and one line in this record. Nothing
 * else in the job code knows about shapes.
 */
export const importShapes: Readonly<Record<string, ImportShape>> = {
  native: nativeShape,
  sam: samImportShape,
  hobsons: hobsonsFlatImportShape,
  servicestack: serviceStackImportShape,
};

/** The shape a job names, or undefined. */
export function importShapeNamed(name: string): ImportShape | undefined {
  return Object.hasOwn(importShapes, name) ? importShapes[name] : undefined;
}

/** The object a text holds as JSON, or undefined when it holds none. */
function parseJsonObject(text: string): unknown {
  return text.trimStart().startsWith("{") ? parseJson(text) : undefined;
}

/** The array a text holds as JSON, or undefined when it holds none (`[VIP]` is a tag's name). */
function parseJsonArray(text: string): unknown[] | undefined {
  const value = text.trimStart().startsWith("[") ? parseJson(text) : undefined;
  return Array.isArray(value) ? value : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
