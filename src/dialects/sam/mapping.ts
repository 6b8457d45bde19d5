import type { ContactInput, ScalarValue } from "../../core/contact.js";
import { parseDateOnly } from "../../core/dates.js";

/** One `ContactJSON` object as SAM sends it (already shape-checked by wire-schemas.ts). */
export type ContactJson = Record<string, string | number | null | undefined>;

/** A problem with one wire field of one record, before the engine sees it. */
export interface WireFieldProblem {
  field: string;
  message: string;
}

// Wire name → canonical field, for every ContactJSON field that is plain text on both sides.
const textFields: ReadonlyArray<readonly [wire: string, canonical: string]> = [
  ["title", "prefix"],
  ["firstname", "givenName"],
  ["lastname", "surname"],
  ["email1", "email"],
  ["email2", "emailSecondary"],
  ["mobile", "phoneMobile"],
  ["phone", "phoneWork"],
  ["otherPhone", "phoneOther"],
  ["faxNumber", "faxWork"],
  ["company", "company"],
  ["department", "department"],
  ["contactProfession", "profession"],
  ["contactSpecialty", "specialty"],
  ["contactCategory", "category"],
  ["contactType", "contactType"],
  ["workAddress1", "workLine1"],
  ["workAddress2", "workLine2"],
  ["workAddress3", "workLine3"],
  ["city", "workCity"],
  ["state", "workState"],
  ["postCode", "workPostcode"],
  ["otherAddress1", "otherLine1"],
  ["otherAddress2", "otherLine2"],
  ["otherAddress3", "otherLine3"],
  ["otherCity", "otherCity"],
  ["otherState", "otherState"],
  ["otherPostcode", "otherPostcode"],
  ["ownedBy", "owner"],
  ["notes", "remarks"],
  ["facebookId", "facebookId"],
  ["twitterId", "twitterId"],
  ["webPage", "webPage"],
];

const countryFields: ReadonlyArray<readonly [wire: string, canonical: string]> = [
  ["countryCode", "workCountryId"],
  ["otherCountryCode", "otherCountryId"],
];

// The source system's own bookkeeping: null means "not told", never "forget what you knew".
const clockFields: ReadonlyArray<readonly [wire: string, canonical: string]> = [
  ["contactCreated", "sourceCreatedAt"],
  ["contactModified", "sourceModifiedAt"],
];
const byFields: ReadonlyArray<readonly [wire: string, canonical: string]> = [
  ["contactCreatedBy", "sourceCreatedBy"],
  ["contactModifiedBy", "sourceModifiedBy"],
];

// The range PostgreSQL's timestamptz can hold and JavaScript writes as a plain ISO date (years 0001-9999):
// a clock outside it would fail in the database, after the record and field can no longer be named.
const earliestClockMs = Date.parse("0001-01-01T00:00:00.000Z");
const latestClockMs = Date.parse("9999-12-31T23:59:59.999Z");

/** The identifier scheme SAM's `externalId` lives in. */
export const externalIdScheme = "external_id";

/** Every ContactJSON field name, in the page's order. */
export const contactJsonFields: readonly string[] = [
  "contactId",
  "countryCode",
  "otherCountryCode",
  "externalId",
  "contactType",
  "title",
  "firstname",
  "lastname",
  "mobile",
  "phone",
  "otherPhone",
  "department",
  "contactProfession",
  "contactSpecialty",
  "contactCategory",
  "email1",
  "email2",
  "company",
  "workAddress1",
  "workAddress2",
  "workAddress3",
  "city",
  "state",
  "postCode",
  "ownedBy",
  "notes",
  "facebookId",
  "dateOfBirth",
  "webPage",
  "otherAddress1",
  "otherAddress2",
  "otherAddress3",
  "otherCity",
  "otherState",
  "otherPostcode",
  "faxNumber",
  "twitterId",
  "contactCreated",
  "contactCreatedBy",
  "contactModified",
  "contactModifiedBy",
];

const wireNameOf = new Map<string, string>([
  ...[...textFields, ...countryFields, ...clockFields, ...byFields].map(([w, c]) => [c, w] as const),
  ["dateOfBirth", "dateOfBirth"],
  [`identifiers.${externalIdScheme}`, "externalId"],
]);

/** The ContactJSON name of a canonical field (or `identifiers.external_id`), so errors speak the client's words. */
export function wireFieldName(canonical: string): string {
  return wireNameOf.get(canonical) ?? canonical;
}

/** The externalId as the client sent it, as text; undefined when absent or blank. */
export function externalIdOf(wire: ContactJson): string | undefined {
  const value = wire.externalId;
  if (typeof value === "number") return String(value);
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * One ContactJSON as a canonical input. `countryIdOf` resolves an ISO 3166-1 alpha-2 code to the
 * tenant's country reference row. A key that is absent leaves the stored value alone; null clears it,
 * except for the source's clocks and their authors, where null means the client did not say.
 * `contactId` (SAM's own id) is read-only on this wire and ignored.
 */
export function toCanonical(
  wire: ContactJson,
  countryIdOf: (code: string) => number | undefined,
): { input: ContactInput; problems: WireFieldProblem[] } {
  const fields: Record<string, ScalarValue> = {};
  const problems: WireFieldProblem[] = [];
  for (const [w, c] of textFields) if (wire[w] !== undefined) fields[c] = wire[w] as string | null;
  for (const [w, c] of countryFields) {
    const value = wire[w];
    if (value === undefined) continue;
    if (value === null || String(value).trim() === "") {
      fields[c] = null;
      continue;
    }
    const code = String(value).trim().toUpperCase();
    const id = /^[A-Z]{2}$/.test(code) ? countryIdOf(code) : undefined;
    if (id === undefined)
      problems.push({ field: w, message: `${w} '${value}' is not an ISO 3166-1 alpha-2 country code` });
    else fields[c] = id;
  }
  for (const [w, c] of clockFields) {
    const value = wire[w];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isInteger(value))
      problems.push({ field: w, message: `${w} must be epoch milliseconds` });
    else if (value < earliestClockMs || value > latestClockMs)
      problems.push({
        field: w,
        message: `${w} ${value} is outside the years 0001 to 9999 (epoch milliseconds ${earliestClockMs} to ${latestClockMs})`,
      });
    else fields[c] = new Date(value).toISOString();
  }
  for (const [w, c] of byFields) {
    const value = wire[w];
    if (value !== undefined && value !== null) fields[c] = value;
  }
  if (wire.dateOfBirth !== undefined) {
    const date = readDateOfBirth(wire.dateOfBirth);
    if (date === undefined)
      problems.push({
        field: "dateOfBirth",
        message: "dateOfBirth must be YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds",
      });
    else fields.dateOfBirth = date;
  }
  const input: ContactInput = { fields };
  // JSON numbers past 2^53 arrive already rounded: two partner ids would silently become one contact.
  if (typeof wire.externalId === "number" && !Number.isSafeInteger(wire.externalId))
    problems.push({
      field: "externalId",
      message: `externalId ${wire.externalId} is too large a number to read exactly; send it as a string`,
    });
  const externalId = externalIdOf(wire);
  if (externalId !== undefined) input.identifiers = { [externalIdScheme]: externalId };
  return { input, problems };
}

// Java clients serialise java.util.Date as epoch milliseconds; people type dates. A date of birth is a
// calendar date, so epoch milliseconds are read in UTC and an ISO date-time keeps its written date.
function readDateOfBirth(value: string | number | null): string | null | undefined {
  if (value === null || value === "") return null;
  if (typeof value === "number") {
    const date = Number.isInteger(value) ? new Date(value) : undefined;
    return date && !Number.isNaN(date.getTime()) ? date.toISOString().slice(0, 10) : undefined;
  }
  return parseDateOnly(value) ?? undefined;
}

/** What fromCanonical needs of a stored contact. */
export interface ContactViewForSam {
  id: number;
  identifiers: Record<string, string>;
  fields: Record<string, ScalarValue>;
}

/** A stored contact as a ContactJSON; `countryCodeOf` turns a country reference id back into its code. */
export function fromCanonical(
  view: ContactViewForSam,
  countryCodeOf: (id: number) => string | undefined,
): ContactJson {
  const out: ContactJson = {};
  const text = (c: string) => {
    const value = view.fields[c];
    return value === undefined || value === null ? null : String(value);
  };
  const epoch = (c: string) => {
    const value = view.fields[c];
    return typeof value === "string" ? Date.parse(value) : null;
  };
  for (const name of contactJsonFields) out[name] = null;
  out.contactId = view.id;
  out.externalId = view.identifiers[externalIdScheme] ?? null;
  for (const [w, c] of [...textFields, ...byFields]) out[w] = text(c);
  for (const [w, c] of countryFields) {
    const id = view.fields[c];
    out[w] = typeof id === "number" ? (countryCodeOf(id) ?? null) : null;
  }
  for (const [w, c] of clockFields) out[w] = epoch(c);
  out.dateOfBirth = text("dateOfBirth")?.slice(0, 10) ?? null;
  return out;
}
