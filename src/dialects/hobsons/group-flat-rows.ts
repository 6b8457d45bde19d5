// The pre-processor of page 002 (`api/processes/preprocessupsertcontacts`): flat spreadsheet rows →
// one ContactUpsertDto per person. Pure and linear: one pass to read and group, one to build the answer.
// Decisions (row numbers, merging, conflicts) are in docs/dialects/hobsons.md ("Pre-processor").
import { type FieldError, fieldError } from "../../core/errors.js";
import { normaliseName } from "../../core/name-similarity.js";
import { readDateOnly } from "./read-contact-dtos.js";

type Kind = "text" | "integer" | "boolean" | "date";

/** The scalar members of FlatContactUpsertDto, in the page's order, which ContactUpsertDto repeats. */
const scalarMembers: ReadonlyArray<readonly [string, Kind]> = [
  ["CrmNumber", "integer"],
  ["StudentInstitutionId", "text"],
  ["Salutation", "text"],
  ["Name", "text"],
  ["Surname", "text"],
  ["MiddleName", "text"],
  ["Alias", "text"],
  ["FormerName", "text"],
  ["Gender", "text"],
  ["DateOfBirth", "date"],
  ["EmailAddress", "text"],
  ["EmailAddress2", "text"],
  ["Mobile", "text"],
  ["PhoneWork", "text"],
  ["PhoneHome", "text"],
  ["FaxWork", "text"],
  ["FaxHome", "text"],
  ["CorrespondenceStreetAddressLine1", "text"],
  ["CorrespondenceStreetAddressLine2", "text"],
  ["CorrespondenceStreetAddressLine3", "text"],
  ["CorrespondenceTownSuburb", "text"],
  ["CorrespondenceStateCity", "text"],
  ["CorrespondencePostcode", "text"],
  ["CorrespondenceCountry", "text"],
  ["CountryOfBirth", "text"],
  ["CountryOfCitizenship", "text"],
  ["DualCountryOfCitizenship", "text"],
  ["CountryOfResidence", "text"],
  ["IsPermanentResident", "boolean"],
  ["VisaType", "text"],
  ["VisaExpiryDate", "date"],
  ["InclusionStatus", "text"],
  ["HeatStatus", "text"],
  ["HeatStatusReason", "text"],
  ["SubChannel", "text"],
  ["Intake", "text"],
  ["ContactStatus", "text"],
  ["ContactStatusDate", "date"],
  ["ContactStatusReason", "text"],
  ["SubscribedToDirectEmails", "boolean"],
  ["SubscribedToDirectPhoneCalls", "boolean"],
  ["SubscribedToDirectSms", "boolean"],
  ["ContactNoteContent", "text"],
  ["ContactNoteType", "text"],
  ["Inactive", "boolean"],
  ["CreateTask", "boolean"],
  ["TaskType", "text"],
  ["TaskDescription", "text"],
  ["TaskActionDate", "date"],
];

/** Repeated-row collections: flat columns → the item's member names (prefix stripped). */
const collections = {
  Tags: [
    ["Tag", "Tag", "text"],
    ["TagDate", "TagDate", "date"],
  ],
  Consents: [
    ["ConsentType", "Type", "text"],
    ["Consent", "Consent", "boolean"],
  ],
  Courses: [
    ["ActivityPreferenceNumber", "PreferenceNumber", "integer"],
    ["ActivityStudyLevel", "StudyLevel", "text"],
    ["ActivityFaculty", "Faculty", "text"],
    ["ActivityCourse", "Course", "text"],
    ["ActivityDepartment", "Department", "text"],
    ["ActivityCampus", "Campus", "text"],
    ["ActivityStudyArea", "StudyArea", "text"],
  ],
  Communications: [
    ["CommunicationIncoming", "Incoming", "boolean"],
    ["CommunicationCategory", "Category", "text"],
    ["CommunicationType", "Type", "text"],
    ["CommunicationHeadline", "Headline", "text"],
    ["CommunicationLabels", "Labels", "text"],
    ["CommunicationSubject", "Subject", "text"],
    ["CommunicationCode", "Code", "text"],
    ["CommunicationEffectiveness", "Effectiveness", "text"],
    ["CommunicationFromEmailAddress", "FromEmailAddress", "text"],
    ["CommunicationToEmailAddress", "ToEmailAddress", "text"],
    ["CommunicationSendExternal", "SendExternal", "boolean"],
    ["CommunicationSource", "Source", "text"],
    ["CommunicationReferralSource", "ReferralSource", "text"],
    ["CommunicationDateCreated", "DateCreated", "date"],
  ],
} as const satisfies Record<string, ReadonlyArray<readonly [string, string, Kind]>>;

type CollectionName = keyof typeof collections;

const kindOf = new Map<string, Kind>([
  ...scalarMembers,
  ["PackageCourses", "boolean"],
  ...Object.values(collections).flatMap((columns) => columns.map(([flat, , kind]) => [flat, kind] as const)),
]);
/** Every member of `FlatContactUpsertDto`, as the page spells it. */
export const flatRowFields: readonly string[] = [...kindOf.keys()];

// Exact spellings first (the common case), then case-insensitively as Json.NET binds.
const canonicalName = new Map(
  [...kindOf.keys()].flatMap((name) => [[name.toLowerCase(), name] as const, [name, name] as const]),
);
const scalarNames = new Set(scalarMembers.map(([name]) => name));
const personalIdentifier = [
  "EmailAddress",
  "Surname",
  "Name",
  "DateOfBirth",
  "CrmNumber",
  "StudentInstitutionId",
] as const;

/** The most rows one request may carry. */
export const maxFlatRows = 100_000;

export type FlatValue = string | number | boolean;

export interface ProcessedContactUpsert {
  InRow: number;
  InRelatedRows: string;
  OutRow: number;
  OutData: Record<string, unknown>;
  /** Scalar values a later row gave differently and that were not kept; absent when none (clients ignore unknown members). */
  Warnings?: string[];
}

export interface GroupedRows {
  contacts: ProcessedContactUpsert[];
  errors: FieldError[];
}

interface Group {
  rows: number[];
  scalars: Map<string, { value: FlatValue; row: number }>;
  /** created on a group's first item of each collection: most people have few collections */
  items: Partial<Record<CollectionName, Map<string, Record<string, FlatValue | null>>>>;
  packageCourses?: { value: FlatValue; row: number };
  warnings: string[];
}

/** Reads and groups flat rows (JSON objects, or CSV records of strings); every bad cell of every row is reported. */
export function groupFlatRows(rows: unknown, options: { textCells?: boolean } = {}): GroupedRows {
  if (!Array.isArray(rows))
    return {
      contacts: [],
      errors: [
        fieldError(
          "REQUEST_BODY_INVALID",
          "contacts",
          "The body must be a JSON array of FlatContactUpsertDto.",
        ),
      ],
    };
  if (rows.length === 0)
    return {
      contacts: [],
      errors: [
        fieldError(
          "REQUEST_EMPTY_BATCH",
          "contacts",
          "The collection of rows is empty; send at least one row.",
        ),
      ],
    };
  if (rows.length > maxFlatRows) {
    return {
      contacts: [],
      errors: [
        fieldError(
          "REQUEST_TOO_MANY_RECORDS",
          "contacts",
          `The collection has ${rows.length} rows; at most ${maxFlatRows} are accepted.`,
        ),
      ],
    };
  }
  const errors: FieldError[] = [];
  const groups = new Map<string, Group>();
  const order: Group[] = [];
  const rowCells = new Map<string, FlatValue>();
  for (let index = 0; index < rows.length; index++) {
    const rowNumber = index + 1;
    // One map serves every row: a row's cells live only until it is merged, and 100,000 short-lived maps
    // were a good part of the garbage collector's time.
    const cells = readRow(rows[index], index, options.textCells ?? false, errors, rowCells);
    if (!cells) continue;
    if (personalIdentifier.every((name) => cells.get(name) === undefined)) {
      errors.push(
        fieldError(
          "CONTACT_MATCH_KEY_MISSING",
          `contacts[${index}]`,
          `Row ${rowNumber} has no Personal Identifier: give at least one of ${personalIdentifier.join(", ")}.`,
          index,
        ),
      );
      continue;
    }
    const key = piKey(cells);
    let group = groups.get(key);
    if (!group) {
      group = {
        rows: [],
        scalars: new Map(),
        items: {},
        warnings: [],
      };
      groups.set(key, group);
      order.push(group);
    }
    merge(group, cells, rowNumber);
  }
  if (errors.length > 0) return { contacts: [], errors };
  return { contacts: order.map((group, i) => toProcessed(group, i + 1)), errors };
}

function readRow(
  row: unknown,
  index: number,
  textCells: boolean,
  errors: FieldError[],
  cells: Map<string, FlatValue>,
): Map<string, FlatValue> | undefined {
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    errors.push(
      fieldError(
        "REQUEST_BODY_INVALID",
        `contacts[${index}]`,
        `Row ${index + 1} must be a JSON object (FlatContactUpsertDto).`,
        index,
      ),
    );
    return undefined;
  }
  cells.clear();
  const record = row as Record<string, unknown>;
  for (const rawKey in record) {
    const raw = record[rawKey];
    const name = canonicalName.get(rawKey) ?? canonicalName.get(rawKey.toLowerCase());
    // Unknown members are ignored, as Json.NET does; empty cells are absent.
    if (
      name === undefined ||
      raw === null ||
      raw === undefined ||
      (typeof raw === "string" && raw.trim() === "")
    )
      continue;
    const value = readCell(raw, kindOf.get(name) as Kind, textCells);
    if (value === undefined) {
      errors.push(
        fieldError(
          kindOf.get(name) === "date" ? "CONTACT_DATE_INVALID" : "CONTACT_FIELD_INVALID",
          `contacts[${index}].${name}`,
          `Row ${index + 1}, column ${name}: ${describe(raw)} is not ${article(kindOf.get(name) as Kind)}.`,
          index,
        ),
      );
      continue;
    }
    cells.set(name, value);
  }
  return cells;
}

function readCell(raw: unknown, kind: Kind, textCells: boolean): FlatValue | undefined {
  switch (kind) {
    case "text":
      return typeof raw === "string"
        ? raw.trim()
        : typeof raw === "number" || typeof raw === "boolean"
          ? String(raw)
          : undefined;
    case "integer": {
      const n =
        typeof raw === "string" && (textCells || /^\s*-?\d+\s*$/.test(raw)) ? Number(raw.trim()) : raw;
      return typeof n === "number" && Number.isSafeInteger(n) ? n : undefined;
    }
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (typeof raw === "string" && /^(true|false)$/i.test(raw.trim()))
        return raw.trim().toLowerCase() === "true";
      return undefined;
    case "date":
      return typeof raw === "string" && readDateOnly(raw.trim()) !== null ? raw.trim() : undefined;
  }
}

const describe = (raw: unknown) => (typeof raw === "string" ? `'${raw}'` : JSON.stringify(raw));
const article = (kind: Kind) =>
  ({
    text: "a string",
    integer: "a whole number",
    boolean: "true or false",
    date: "an ISO 8601 date (YYYY-MM-DD)",
  })[kind];

// Trimmed; email and names case-insensitive; the date part of DateOfBirth; absent equal only to absent.
function piKey(cells: Map<string, FlatValue>): string {
  const text = (name: string) => {
    const v = cells.get(name);
    return v === undefined ? "\u0000" : String(v);
  };
  const email = cells.get("EmailAddress");
  const dob = cells.get("DateOfBirth");
  return [
    email === undefined ? "\u0000" : String(email).toLowerCase(),
    cells.has("Surname") ? normaliseName(String(cells.get("Surname"))) : "\u0000",
    cells.has("Name") ? normaliseName(String(cells.get("Name"))) : "\u0000",
    dob === undefined ? "\u0000" : String(dob).slice(0, 10),
    text("CrmNumber"),
    text("StudentInstitutionId"),
  ].join("\u001f");
}

function merge(group: Group, cells: Map<string, FlatValue>, row: number): void {
  group.rows.push(row);
  for (const [name, value] of cells) {
    if (!scalarNames.has(name)) continue;
    const kept = group.scalars.get(name);
    if (!kept) group.scalars.set(name, { value, row });
    else if (!sameValue(kept.value, value)) {
      group.warnings.push(
        `Row ${row}: ${name} '${value}' differs from row ${kept.row}'s '${kept.value}'; row ${kept.row}'s value was kept.`,
      );
    }
  }
  const packageCourses = cells.get("PackageCourses");
  if (packageCourses !== undefined) {
    if (!group.packageCourses) group.packageCourses = { value: packageCourses, row };
    else if (group.packageCourses.value !== packageCourses) {
      group.warnings.push(
        `Row ${row}: PackageCourses '${packageCourses}' differs from row ${group.packageCourses.row}'s '${group.packageCourses.value}'; row ${group.packageCourses.row}'s value was kept.`,
      );
    }
  }
  for (const [collection, columns] of collectionList) {
    let item: Record<string, FlatValue | null> | undefined;
    for (const [flat, member] of columns) {
      const value = cells.get(flat);
      if (value === undefined) continue;
      item ??= emptyItem(columns);
      item[member] = value;
    }
    // A row with none of a collection's columns adds no item; an identical item is kept once.
    if (!item) continue;
    let fingerprint = "";
    for (const [, member] of columns) {
      const value = item[member];
      fingerprint += `${typeof value === "string" ? value.toLowerCase() : String(value)}\u001f`;
    }
    let items = group.items[collection];
    if (!items) {
      items = new Map();
      group.items[collection] = items;
    }
    if (!items.has(fingerprint)) items.set(fingerprint, item);
  }
}

const collectionList = Object.entries(collections) as Array<
  [CollectionName, (typeof collections)[CollectionName]]
>;

function emptyItem(
  columns: ReadonlyArray<readonly [string, string, Kind]>,
): Record<string, FlatValue | null> {
  const item: Record<string, FlatValue | null> = {};
  for (const [, member] of columns) item[member] = null;
  return item;
}

function sameValue(a: FlatValue, b: FlatValue): boolean {
  return typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b;
}

function toProcessed(group: Group, outRow: number): ProcessedContactUpsert {
  const out: Record<string, unknown> = {};
  for (const [name] of scalarMembers) out[name] = group.scalars.get(name)?.value ?? null;
  const list = (collection: CollectionName) => [...(group.items[collection]?.values() ?? [])];
  out.Tags = list("Tags");
  out.Consents = list("Consents");
  out.PackageCourses = group.packageCourses?.value ?? true;
  out.Courses = list("Courses");
  out.Communications = list("Communications");
  const [first, ...related] = group.rows;
  const processed: ProcessedContactUpsert = {
    InRow: first,
    InRelatedRows: related.join(","),
    OutRow: outRow,
    OutData: out,
  };
  if (group.warnings.length > 0) processed.Warnings = group.warnings;
  return processed;
}
