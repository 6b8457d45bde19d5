// Model binding of a ContactUpsertDto (the UpsertContact endpoints, page 002) to a canonical input, as
// ASP.NET Web API with Json.NET reads it: names match case-insensitively, unknown members are ignored,
// a value of the wrong type is an error on its own path, every violation is kept. References arrive by
// name; resolving them needs the tenant's data, so the reader only collects them (see resolve step).
// Null and absent leave a stored value alone, an empty string clears it (docs/dialects/hobsons.md).
import type {
  ActivityInput,
  CommunicationInput,
  ContactInput,
  CourseInput,
  ScalarValue,
} from "../../core/contact.js";
import type { ReferenceKind } from "../../core/contact-fields.js";
import { type FieldError, fieldError } from "../../core/errors.js";
import { studentIdScheme } from "./mapping.js";
import { readDateOnly, readInstant } from "./read-contact-dtos.js";

type Kind = "text" | "character" | "boolean" | "date" | "integer";

/** Scalar ContactUpsertDto members → canonical fields (docs/model.md, "Page 002"). */
const scalarMembers: ReadonlyArray<readonly [wire: string, kind: Kind, canonical: string]> = [
  ["Name", "text", "givenName"],
  ["Surname", "text", "surname"],
  ["MiddleName", "text", "middleName"],
  ["Alias", "text", "alias"],
  ["FormerName", "text", "formerName"],
  ["Gender", "character", "gender"],
  ["DateOfBirth", "date", "dateOfBirth"],
  ["EmailAddress", "text", "email"],
  ["EmailAddress2", "text", "emailSecondary"],
  ["Mobile", "text", "phoneMobile"],
  ["PhoneWork", "text", "phoneWork"],
  ["PhoneHome", "text", "phoneHome"],
  ["FaxWork", "text", "faxWork"],
  ["FaxHome", "text", "faxHome"],
  ["CorrespondenceStreetAddressLine1", "text", "correspondenceLine1"],
  ["CorrespondenceStreetAddressLine2", "text", "correspondenceLine2"],
  ["CorrespondenceStreetAddressLine3", "text", "correspondenceLine3"],
  ["CorrespondenceTownSuburb", "text", "correspondenceTown"],
  ["CorrespondenceStateCity", "text", "correspondenceState"],
  ["CorrespondencePostcode", "text", "correspondencePostcode"],
  ["IsPermanentResident", "boolean", "isPermanentResident"],
  ["VisaType", "text", "visaType"],
  ["VisaExpiryDate", "date", "visaExpiryDate"],
  ["InclusionStatus", "text", "inclusionStatus"],
  ["SubscribedToDirectEmails", "boolean", "subscribedDirectEmail"],
  ["SubscribedToDirectPhoneCalls", "boolean", "subscribedDirectPhone"],
  ["SubscribedToDirectSms", "boolean", "subscribedDirectSms"],
  ["Inactive", "boolean", "inactive"],
];

/** Members naming a reference row by name (countries also by ISO 3166 code) → canonical reference fields. */
export const referenceMembers: ReadonlyArray<
  readonly [wire: string, kind: ReferenceKind, canonical: string]
> = [
  ["Salutation", "salutation", "salutationId"],
  ["CorrespondenceCountry", "country", "correspondenceCountryId"],
  ["CountryOfBirth", "country", "countryOfBirthId"],
  ["CountryOfCitizenship", "country", "countryOfCitizenshipId"],
  ["DualCountryOfCitizenship", "country", "dualCitizenshipCountryId"],
  ["CountryOfResidence", "country", "countryOfResidenceId"],
  ["HeatStatus", "heat_status", "heatStatusId"],
  ["SubChannel", "sub_channel", "subChannelId"],
  ["Intake", "intake", "intakeId"],
  ["ContactStatus", "contact_status", "contactStatusId"],
];

const wireByCanonical = new Map<string, string>([
  ...scalarMembers.map(([wire, , canonical]) => [canonical, wire] as const),
  ...referenceMembers.map(([wire, , canonical]) => [canonical, wire] as const),
  [`identifiers.${studentIdScheme}`, "StudentInstitutionId"],
  ["id", "CrmNumber"],
  ["heatStatusReason", "HeatStatusReason"],
  ["contactStatusReason", "ContactStatusReason"],
]);

/** The ContactUpsertDto member a canonical field comes from (engine errors name canonical fields). */
export function upsertWireFieldOf(canonical: string): string {
  return wireByCanonical.get(canonical) ?? canonical;
}

export interface ReferenceName {
  kind: ReferenceKind;
  name: string;
  canonical: string;
  wire: string;
}

export interface BoundContactUpsert {
  input: ContactInput;
  /** references to resolve against the tenant's data before the engine runs */
  references: ReferenceName[];
  errors: FieldError[];
}

/** Binds one ContactUpsertDto; `path` prefixes ModelState keys (`contact` or `contacts[3]`). */
export function bindContactUpsertDto(dto: unknown, index: number, path: string): BoundContactUpsert {
  const errors: FieldError[] = [];
  const input: ContactInput = { fields: {} };
  const references: ReferenceName[] = [];
  if (dto === null || typeof dto !== "object" || Array.isArray(dto)) {
    errors.push(
      fieldError("REQUEST_BODY_INVALID", path, "A contact must be a JSON object (ContactUpsertDto).", index),
    );
    return { input, references, errors };
  }
  const member = memberReader(dto as Record<string, unknown>, path, index, errors);

  const crmNumber = member("CrmNumber", "integer");
  if (typeof crmNumber === "number") {
    if (crmNumber < 1)
      errors.push(
        fieldError(
          "CONTACT_FIELD_OUT_OF_RANGE",
          `${path}.CrmNumber`,
          "The field CrmNumber must be a positive number.",
          index,
        ),
      );
    else input.id = crmNumber;
  }
  const studentId = member("StudentInstitutionId", "text");
  if (typeof studentId === "string" && studentId.trim() !== "")
    input.identifiers = { [studentIdScheme]: studentId.trim() };
  // Null and absent leave a stored value alone (so the pre-processor's nulls for empty cells never wipe
  // anything); an empty or blank string is the one way to clear a scalar or a reference.
  for (const [wire, kind, canonical] of scalarMembers) {
    const value = member(wire, kind);
    if (value === blank) input.fields[canonical] = null;
    else if (value !== undefined && value !== null) input.fields[canonical] = value;
  }
  for (const [wire, kind, canonical] of referenceMembers) {
    const name = member(wire, "text");
    if (name === blank) input.fields[canonical] = null;
    else if (typeof name === "string" && name.trim() !== "")
      references.push({ kind, name: name.trim(), canonical, wire });
  }
  const heatReason = member("HeatStatusReason", "text");
  if (typeof heatReason === "string" && heatReason !== "") input.heatStatusReason = heatReason;
  const statusReason = member("ContactStatusReason", "text");
  if (typeof statusReason === "string" && statusReason !== "") input.contactStatusReason = statusReason;
  const statusDate = member("ContactStatusDate", "instant");
  if (typeof statusDate === "string" && statusDate !== blank) input.contactStatusDate = statusDate;

  const note = member("ContactNoteContent", "text");
  const noteType = member("ContactNoteType", "text");
  if (typeof note === "string" && note.trim() !== "")
    input.notes = [{ content: note, noteType: (noteType as string | null) ?? null }];
  const createTask = member("CreateTask", "boolean");
  const taskType = member("TaskType", "text");
  const taskDescription = member("TaskDescription", "text");
  const taskDate = member("TaskActionDate", "date");
  if (createTask === true) {
    input.tasks = [
      {
        taskType: (taskType as string | null) ?? null,
        description: (taskDescription as string | null) ?? null,
        actionDate: taskDate === blank ? null : ((taskDate as string | null) ?? null),
      },
    ];
  }

  const tags = list(dto as Record<string, unknown>, "Tags", path, index, errors, (item, at) => {
    const read = memberReader(item, at, index, errors);
    const tag = read("Tag", "text");
    const tagDate = read("TagDate", "date");
    return typeof tag === "string" && tag.trim() !== ""
      ? { tag: tag.trim(), taggedAt: tagDate === blank ? null : ((tagDate as string | null) ?? null) }
      : undefined;
  });
  if (tags.length > 0) input.tags = tags;
  const consents = list(dto as Record<string, unknown>, "Consents", path, index, errors, (item, at) => {
    const read = memberReader(item, at, index, errors);
    const type = read("Type", "text");
    const consent = read("Consent", "boolean");
    if (typeof type !== "string" || type.trim() === "") return undefined;
    if (typeof consent !== "boolean") {
      errors.push(
        fieldError("CONTACT_FIELD_REQUIRED", `${at}.Consent`, "The Consent field is required.", index),
      );
      return undefined;
    }
    return { type: type.trim(), granted: consent };
  });
  if (consents.length > 0) input.consents = consents;
  const courses = list(
    dto as Record<string, unknown>,
    "Courses",
    path,
    index,
    errors,
    (item, at): CourseInput | undefined => {
      const read = memberReader(item, at, index, errors);
      const course: CourseInput = {
        preferenceNumber: read("PreferenceNumber", "integer") as number | null | undefined,
        studyLevel: read("StudyLevel", "text") as string | null | undefined,
        faculty: read("Faculty", "text") as string | null | undefined,
        course: read("Course", "text") as string | null | undefined,
        department: read("Department", "text") as string | null | undefined,
        campus: read("Campus", "text") as string | null | undefined,
        studyArea: read("StudyArea", "text") as string | null | undefined,
      };
      const present = Object.fromEntries(
        Object.entries(course).filter(([, v]) => v !== undefined && v !== null && v !== ""),
      );
      return Object.keys(present).length > 0 ? (present as CourseInput) : undefined;
    },
  );
  const packageCourses = member("PackageCourses", "boolean");
  if (courses.length > 0) {
    // The page: PackageCourses (default true) puts every course under one activity, else one activity each.
    const activities: ActivityInput[] =
      packageCourses === false
        ? courses.map((c) => ({ kind: "Course preference", courses: [c] }))
        : [{ kind: "Course preferences", courses }];
    input.activities = activities;
  }
  const communications = list(
    dto as Record<string, unknown>,
    "Communications",
    path,
    index,
    errors,
    (item, at): CommunicationInput | undefined => {
      const read = memberReader(item, at, index, errors);
      const labels = read("Labels", "text");
      const occurred = read("DateCreated", "instant");
      const communication: CommunicationInput = {
        incoming: read("Incoming", "boolean") as boolean | null | undefined,
        category: read("Category", "text") as string | null | undefined,
        type: read("Type", "text") as string | null | undefined,
        headline: read("Headline", "text") as string | null | undefined,
        labels:
          typeof labels === "string"
            ? labels
                .split(";")
                .map((l) => l.trim())
                .filter(Boolean)
            : undefined,
        subject: read("Subject", "text") as string | null | undefined,
        code: read("Code", "text") as string | null | undefined,
        effectiveness: read("Effectiveness", "text") as string | null | undefined,
        fromEmail: read("FromEmailAddress", "text") as string | null | undefined,
        toEmail: read("ToEmailAddress", "text") as string | null | undefined,
        sendExternal: read("SendExternal", "boolean") as boolean | null | undefined,
        source: read("Source", "text") as string | null | undefined,
        referralSource: read("ReferralSource", "text") as string | null | undefined,
        occurredAt: typeof occurred === "string" && occurred !== blank ? occurred : undefined,
      };
      const present = Object.fromEntries(
        Object.entries(communication).filter(([, v]) => v !== undefined && v !== null && v !== ""),
      );
      return Object.keys(present).length > 0 ? (present as CommunicationInput) : undefined;
    },
  );
  if (communications.length > 0) input.communications = communications;
  return { input, references, errors };
}

type Read = (wire: string, kind: Kind | "instant") => ScalarValue | undefined;

/** What the reader answers for an empty or blank string of any kind: "" (callers that clear test for it). */
const blank = "";

function memberReader(dto: Record<string, unknown>, path: string, index: number, errors: FieldError[]): Read {
  const byLower = new Map(Object.keys(dto).map((k) => [k.toLowerCase(), k]));
  return (wire, kind) => {
    const key = byLower.get(wire.toLowerCase());
    if (key === undefined) return undefined;
    const value = dto[key];
    if (value === null || value === undefined) return null;
    // A blank cell of a spreadsheet is no value of any type, not a date or boolean that fails to parse.
    if (typeof value === "string" && value.trim() === "") return blank;
    const at = `${path}.${wire}`;
    const bad = (message: string) => {
      errors.push(
        fieldError(
          kind === "date" || kind === "instant" ? "CONTACT_DATE_INVALID" : "CONTACT_FIELD_INVALID",
          at,
          message,
          index,
        ),
      );
      return undefined;
    };
    switch (kind) {
      case "text":
        if (typeof value === "string") return value;
        if (typeof value === "number" || typeof value === "boolean") return String(value);
        return bad(`Error converting value to type 'String'. Path '${wire}'.`);
      case "character":
        // The page types Gender as a .NET char: Json.NET binds a one-character string, and refuses `Female`.
        if (typeof value === "string" && [...value].length === 1) return value;
        return bad(`Could not convert ${JSON.stringify(value)} to Char: one character. Path '${wire}'.`);
      case "boolean":
        if (typeof value === "boolean") return value;
        if (typeof value === "string" && /^(true|false)$/i.test(value.trim()))
          return value.trim().toLowerCase() === "true";
        return bad(`Could not convert ${JSON.stringify(value)} to Boolean. Path '${wire}'.`);
      case "integer": {
        const n = typeof value === "string" && /^\s*-?\d{1,15}\s*$/.test(value) ? Number(value) : value;
        if (typeof n === "number" && Number.isSafeInteger(n)) return n;
        return bad(`Could not convert ${JSON.stringify(value)} to Int32. Path '${wire}'.`);
      }
      case "date": {
        const date = typeof value === "string" ? readDateOnly(value.trim()) : null;
        return (
          date ??
          bad(`Could not convert ${JSON.stringify(value)} to DateTime; send ISO 8601. Path '${wire}'.`)
        );
      }
      case "instant": {
        const instant = typeof value === "string" ? readInstant(value) : null;
        return instant
          ? instant.toISOString()
          : bad(`Could not convert ${JSON.stringify(value)} to DateTime; send ISO 8601. Path '${wire}'.`);
      }
    }
  };
}

function list<T>(
  dto: Record<string, unknown>,
  wire: string,
  path: string,
  index: number,
  errors: FieldError[],
  read: (item: Record<string, unknown>, at: string) => T | undefined,
): T[] {
  const key = Object.keys(dto).find((k) => k.toLowerCase() === wire.toLowerCase());
  const value = key === undefined ? undefined : dto[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push(
      fieldError("CONTACT_FIELD_INVALID", `${path}.${wire}`, `${wire} must be a JSON array.`, index),
    );
    return [];
  }
  const items: T[] = [];
  const seen = new Set<string>();
  for (const [i, item] of value.entries()) {
    const at = `${path}.${wire}[${i}]`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      errors.push(fieldError("CONTACT_FIELD_INVALID", at, `${wire} items must be JSON objects.`, index));
      continue;
    }
    const read1 = read(item as Record<string, unknown>, at);
    if (read1 === undefined) continue;
    // Repeated identical items are one item (the pre-processor's output may repeat them).
    const fingerprint = JSON.stringify(read1);
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    items.push(read1);
  }
  return items;
}

/**
 * Puts the tenant's ids for a bound DTO's reference names into its input; each name `idOf` cannot find is
 * a field error naming the value (`path` prefixes ModelState keys as in `bindContactUpsertDto`).
 */
export function applyReferenceIds(
  bound: BoundContactUpsert,
  idOf: (ref: ReferenceName) => number | undefined,
  index: number,
  path: string,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const ref of bound.references) {
    const id = idOf(ref);
    if (id !== undefined) bound.input.fields[ref.canonical] = id;
    else
      errors.push(
        fieldError(
          "CONTACT_REFERENCE_UNKNOWN",
          `${path}.${ref.wire}`,
          `The ${ref.wire} '${ref.name}' does not exist in this institution's reference data.`,
          index,
        ),
      );
  }
  return errors;
}
