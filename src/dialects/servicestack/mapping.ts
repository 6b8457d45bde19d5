import type { ContactInput, ScalarValue } from "../../core/contact.js";
import { parseDateOnly } from "../../core/dates.js";
import { type ErrorCode, type FieldError, fieldError } from "../../core/errors.js";
import { sniffImageType } from "../../formats/image-type.js";
import { isDotNetMinDate, jsvToBoolean, jsvToDate } from "../../formats/jsv/index.js";
import type { ContactView } from "../../store/contacts/read-contacts.js";
import { type ContactWireField, contactCreateRequestFields, maxImageBytes } from "./wire-schemas.js";

/** The identifier scheme `regent_id` is stored under (the upsert's match key). */
export const regentIdScheme = "regent_id";

/** What mapping needs to know about the tenant, preloaded by the route so mapping stays pure. */
export interface MappingLookups {
  /** the id of the tenant's country named by name or ISO alpha-2 code */
  countryId(nameOrCode: string): number | undefined;
  /** the tenant user's own spelling of a user name, when the tenant has that user */
  userName(name: string): string | undefined;
}

export interface MappedContact {
  input: ContactInput;
  /** type and format problems, with wire paths (`contacts[2].dob`); empty when the contact maps cleanly */
  problems: FieldError[];
}

// docs/model.md, "Page 000": plain fields map one to one; the rest are converted below.
const plainFields: Partial<Record<ContactWireField, string>> = {
  first_name: "givenName",
  last_name: "surname",
  middle_name: "middleName",
  preferred_name: "preferredName",
  prefix: "prefix",
  addressee: "addressee",
  primary_salutation: "primarySalutation",
  former_name: "formerName",
  spouse_name: "spouseName",
  spouse_is_main_contact: "spouseIsMainContact",
  addr1: "correspondenceLine1",
  addr2: "correspondenceLine2",
  city: "correspondenceTown",
  state: "correspondenceState",
  code: "correspondencePostcode",
  dob: "dateOfBirth",
  deceased_date: "deceasedDate",
  denomination: "denomination",
  connection_to_regent: "connection",
  student_segment: "segment",
  reason_added: "reasonAdded",
  gender: "gender",
  marital_status: "maritalStatus",
  financial_aid_received: "financialAidReceived",
  is_applicant: "isApplicant",
  solicitation_method: "solicitationMethod",
  solicitation_exceptions: "solicitationExceptions",
  campaign_monitor_optin: "emailMarketingOptIn",
  campaign_monitor_suppressed: "emailMarketingSuppressed",
  campaign_monitor_lists: "emailMarketingLists",
  email: "email",
  email_secondary: "emailSecondary",
  phone_home: "phoneHome",
  phone_bus: "phoneWork",
  phone_cell: "phoneMobile",
  no_mail: "noMail",
  no_email: "noEmail",
  no_bulk_email: "noBulkEmail",
  no_phone: "noPhone",
  no_marketing_materials: "noMarketingMaterials",
  prefers_email: "prefersEmail",
  prefers_phone: "prefersPhone",
  last_credit_class: "lastCreditClass",
  last_audit_class: "lastAuditClass",
  last_oncampus_class: "lastOnCampusClass",
  last_distance_education_class: "lastDistanceEducationClass",
  last_evening_weekend_class: "lastEveningWeekendClass",
  last_summer_class: "lastSummerClass",
  last_marketplace_class: "lastMarketplaceClass",
  last_anglican_studies_class: "lastAnglicanStudiesClass",
};

const countryFields: Partial<Record<ContactWireField, string>> = {
  country: "correspondenceCountryId",
  citizenship: "countryOfCitizenshipId",
  citizenship_other: "dualCitizenshipCountryId",
};

const canonicalToWire = new Map<string, ContactWireField>([
  ...Object.entries({ ...plainFields, ...countryFields }).map(
    ([wire, canonical]) => [canonical as string, wire as ContactWireField] as const,
  ),
  ["isPermanentResident", "permanent_resident"],
  ["photoBase64", "image_base64"],
  ["owner", "owning_username"],
  [`identifiers.${regentIdScheme}`, "regent_id"],
]);

/** The wire name of a canonical field (or `identifiers.<scheme>`), for errors the engine reports. */
export function wireFieldName(canonical: string): string | undefined {
  return canonicalToWire.get(canonical);
}

/** The wire path of one contact's field, as ServiceStack declares it: `contacts[2].email`. */
export function wirePath(index: number, wireField: string): string {
  return `contacts[${index}].${wireField}`;
}

/** A DTO's keys lower-cased: ServiceStack matches property names case-insensitively. */
export function caseInsensitive(record: Record<string, unknown>): Map<string, unknown> {
  const keys = new Map<string, unknown>();
  for (const [key, value] of Object.entries(record)) {
    const lower = key.trim().toLowerCase();
    if (!keys.has(lower)) keys.set(lower, value);
  }
  return keys;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The `owning_username` values of a request's contacts, so the route can look the users up first. */
export function owningUserNames(contacts: readonly unknown[]): string[] {
  const names = new Set<string>();
  for (const contact of contacts) {
    if (!isRecord(contact)) continue;
    const value = caseInsensitive(contact).get("owning_username");
    if (typeof value === "string" && value.trim() !== "") names.add(value.trim());
  }
  return [...names];
}

/**
 * One `CRMContactCreateRequest` (JSON with typed scalars, or JSV/form with strings only) as the canonical
 * input. .NET defaults mean "not given": `regent_id` 0 and `0001-01-01` dates are left out; an empty
 * string clears a text field.
 */
export function toCanonical(wire: unknown, index: number, lookups: MappingLookups): MappedContact {
  const input: ContactInput = { fields: {} };
  const problems: FieldError[] = [];
  const problem = (code: ErrorCode, field: string, message: string) =>
    problems.push(fieldError(code, wirePath(index, field), message, index));
  if (!isRecord(wire)) {
    problems.push(
      fieldError(
        "REQUEST_BODY_INVALID",
        `contacts[${index}]`,
        `contacts[${index}] must be a CRMContactCreateRequest object`,
        index,
      ),
    );
    return { input, problems };
  }
  const values = caseInsensitive(wire);
  for (const [name, type] of Object.entries(contactCreateRequestFields) as Array<
    [ContactWireField, string]
  >) {
    const given = values.get(name);
    if (given === undefined || given === null) continue;
    if (typeof given === "object") {
      problem("CONTACT_FIELD_INVALID", name, `${name} must be a ${type}, not a list or object`);
      continue;
    }
    const raw = given as string | number | boolean;
    const set = (canonical: string, value: ScalarValue) => {
      input.fields[canonical] = value;
    };

    if (name === "regent_id") {
      // An `int?` left empty (`regent_id:,` in JSV, `regent_id=` in a form) is null to ServiceStack: not given.
      if (typeof raw === "string" && raw.trim() === "") continue;
      const id = readInt(raw);
      // Past a .NET int is an overflow, which ServiceStack reports as a value it cannot read.
      if (id === undefined || id > 2 ** 31 - 1)
        problem("CONTACT_FIELD_INVALID", name, `'${raw}' is not a valid int for regent_id`);
      else if (id < 0) problem("CONTACT_FIELD_OUT_OF_RANGE", name, "regent_id must be greater than 0");
      else if (id !== 0) input.identifiers = { [regentIdScheme]: String(id) };
      continue;
    }
    const country = countryFields[name];
    if (country) {
      const text = String(raw).trim();
      if (text === "") set(country, null);
      else {
        const id = lookups.countryId(text);
        if (id === undefined)
          problem("CONTACT_REFERENCE_UNKNOWN", name, `${name} '${text}' is not a country name or ISO code`);
        else set(country, id);
      }
      continue;
    }
    if (name === "permanent_resident") {
      const text = String(raw).trim();
      const flag = text === "" ? null : readBoolean(raw);
      if (flag === undefined)
        problem(
          "CONTACT_FIELD_INVALID",
          name,
          `permanent_resident '${text}' is not yes/no, true/false, y/n or 1/0`,
        );
      else set("isPermanentResident", flag);
      continue;
    }
    if (name === "image_base64") {
      const photo = readImage(String(raw));
      if (photo !== null && typeof photo === "object") problem(photo.code, name, photo.message);
      else set("photoBase64", photo);
      continue;
    }
    if (name === "owning_username") {
      const text = String(raw).trim();
      if (text === "") set("owner", null);
      else {
        const user = lookups.userName(text);
        if (user === undefined)
          problem(
            "CONTACT_REFERENCE_UNKNOWN",
            name,
            `owning_username '${text}' is not a user of this tenant`,
          );
        else set("owner", user);
      }
      continue;
    }

    const canonical = plainFields[name] as string;
    if (type === "bool") {
      if (raw === "") continue;
      const flag = readBoolean(raw);
      if (flag === undefined)
        problem("CONTACT_FIELD_INVALID", name, `'${raw}' is not a valid Boolean for ${name}`);
      else set(canonical, flag);
    } else if (type === "DateTime?") {
      if (raw === "") continue;
      const date = readDate(raw);
      if (date === undefined)
        problem("CONTACT_DATE_INVALID", name, `'${raw}' is not a valid DateTime for ${name}`);
      else if (date !== dotNetMinDate) set(canonical, date);
    } else {
      set(canonical, raw === "" ? null : String(raw));
    }
  }
  return { input, problems };
}

/** A stored contact as a `CRMContactCreateRequest` (nulls omitted, as ServiceStack writes them). */
export function fromCanonical(
  view: ContactView,
  countryName: (id: number) => string | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const regentId = view.identifiers[regentIdScheme];
  if (regentId !== undefined && /^\d+$/.test(regentId)) out.regent_id = Number(regentId);
  for (const [name, type] of Object.entries(contactCreateRequestFields) as Array<
    [ContactWireField, string]
  >) {
    const canonical = plainFields[name];
    if (canonical) {
      const value = view.fields[canonical];
      // .NET bools cannot be null: an unset flag reads as False.
      if (type === "bool") out[name] = value === true;
      else if (value !== null && value !== undefined) out[name] = value;
    }
    const country = countryFields[name];
    if (country && typeof view.fields[country] === "number") {
      const countryLabel = countryName(view.fields[country] as number);
      if (countryLabel !== undefined) out[name] = countryLabel;
    }
  }
  if (typeof view.fields.isPermanentResident === "boolean")
    out.permanent_resident = view.fields.isPermanentResident ? "Yes" : "No";
  if (typeof view.fields.photoBase64 === "string") out.image_base64 = view.fields.photoBase64;
  if (typeof view.fields.owner === "string") out.owning_username = view.fields.owner;
  return out;
}

const dotNetMinDate = "0001-01-01";

function readInt(raw: string | number | boolean): number | undefined {
  if (typeof raw === "number") return Number.isInteger(raw) ? raw : undefined;
  if (typeof raw !== "string" || !/^\s*[+-]?\d{1,12}\s*$/.test(raw)) return undefined;
  return Number(raw);
}

function readBoolean(raw: string | number | boolean): boolean | undefined {
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "number") return raw === 1 ? true : raw === 0 ? false : undefined;
  return jsvToBoolean(raw);
}

/** A DateTime as its date part (as written, no zone shift); `0001-01-01` for .NET's MinValue. */
function readDate(raw: string | number | boolean): string | undefined {
  if (typeof raw !== "string") return undefined;
  const text = raw.trim();
  // WCF's `\/Date(ms±hhmm)\/`: the instant is UTC milliseconds.
  const wcf = /^\\?\/Date\((-?\d+)(?:([+-])(\d{2})(\d{2}))?\)\\?\/$/.exec(text);
  if (wcf) {
    // The offset is the writer's zone: its local date is the one it meant (a birthday at local midnight).
    const offset = wcf[2] ? (wcf[2] === "-" ? -1 : 1) * (Number(wcf[3]) * 60 + Number(wcf[4])) : 0;
    const date = new Date(Number(wcf[1]) + offset * 60_000);
    if (Number.isNaN(date.getTime())) return undefined;
    // A local MinValue shifted by a negative offset would land in year 0; it still means "not given".
    return isDotNetMinDate(new Date(Number(wcf[1]))) ? dotNetMinDate : date.toISOString().slice(0, 10);
  }
  // Only the date part is kept, but the time after it must be one ServiceStack reads: `1990-01-01Tjunk` is no date.
  if (yearFirstWithTime.test(text) && jsvToDate(text) === undefined) return undefined;
  if (/^0001-01-01(?:$|[T ])/.test(text)) return dotNetMinDate;
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (compact) return parseDateOnly(`${compact[1]}-${compact[2]}-${compact[3]}`) ?? undefined;
  const loose = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T ])/.exec(text);
  if (loose)
    return (
      parseDateOnly(`${loose[1]}-${loose[2].padStart(2, "0")}-${loose[3].padStart(2, "0")}`) ?? undefined
    );
  const isoDate = parseDateOnly(text);
  if (isoDate) return isoDate;
  // The other forms ServiceStack reads (`28/06/2015`, `6/28/2015`, …); without a zone their UTC date is as written.
  const other = datePattern.test(text) ? undefined : jsvToDate(text);
  if (!other) return undefined;
  return isDotNetMinDate(other) ? dotNetMinDate : other.toISOString().slice(0, 10);
}

// A year-first text parseDateOnly refused is an impossible date, not another form to try.
const datePattern = /^\d{4}-\d{1,2}-\d{1,2}/;
const yearFirstWithTime = /^\d{4}-\d{1,2}-\d{1,2}[T ]/;

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;
const maxBase64Length = Math.ceil(maxImageBytes / 3) * 4;

/** A photo's canonical base64, or the problem with it. */
function readImage(raw: string): string | null | { code: ErrorCode; message: string } {
  let text = raw.replace(/\s+/g, "");
  if (text === "") return null;
  // A data URL is what browsers hand scripts; its header adds nothing the bytes do not say.
  text = text.replace(/^data:[\w.+-]+\/[\w.+-]+;base64,/i, "");
  if (text.length > maxBase64Length + 4)
    return {
      code: "CONTACT_FIELD_TOO_LONG",
      message: `image_base64 holds more than ${maxImageBytes} bytes; at most 5 MiB are allowed`,
    };
  if (!base64Pattern.test(text) || text.length % 4 === 1)
    return { code: "CONTACT_FIELD_INVALID", message: "image_base64 is not base64" };
  const bytes = Buffer.from(text, "base64");
  if (bytes.length > maxImageBytes)
    return {
      code: "CONTACT_FIELD_TOO_LONG",
      message: `image_base64 holds ${bytes.length} bytes; at most ${maxImageBytes} (5 MiB) are allowed`,
    };
  if (!sniffImageType(bytes))
    return { code: "CONTACT_FIELD_INVALID", message: "image_base64 is not a PNG, JPEG, GIF or WebP image" };
  return bytes.toString("base64");
}
