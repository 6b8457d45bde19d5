// Model binding and validation of `POST api/bulk/contacts` as ASP.NET Web API with Json.NET does it:
// names match case-insensitively, unknown and read-only members are ignored, a value of the wrong JSON
// type is an error on its own path (not a failed body), and every violation of every contact is kept.
// Messages follow the DataAnnotations and Json.NET wording a Hobsons client may already show to people.

import { parseDateOnly, parseIsoInstant } from "../../core/dates.js";
import { type FieldError, fieldError } from "../../core/errors.js";
import {
  contactDtoFields,
  type DtoField,
  dateOfBirthRange,
  genderValues,
  idRange,
  maxBulkContacts,
  type ValidContactDto,
} from "./wire-schemas.js";

/** The name of the action's body parameter: ModelState keys start with it. */
export const bodyParameter = "contacts";

const fieldsByName = new Map(contactDtoFields.map((f) => [f.name, f]));
const fieldsByLowerName = new Map(contactDtoFields.map((f) => [f.name.toLowerCase(), f]));

// ISO 8601 as .NET writes it: date, or date and time with up to 7 fractional digits and an optional zone.
const isoDateTime =
  /^(\d{4}-\d{2}-\d{2})(?:T([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,7})?)?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)?)?$/;

/** Reads a DateOfBirth as written (the time and zone are dropped, never shifted); null when not ISO 8601. */
export function readDateOnly(value: string): string | null {
  const m = isoDateTime.exec(value);
  return m ? parseDateOnly(m[1]) : null;
}

/** Reads an ISO 8601 instant (a date alone is midnight UTC, a time without a zone is UTC); null when not ISO 8601. */
export function readInstant(value: string): Date | null {
  // The .NET writer's spelling is this page's rule; reading it as an instant is core's.
  const text = value.trim();
  if (!isoDateTime.test(text)) return null;
  const instant = parseIsoInstant(text);
  return instant === null ? null : new Date(instant);
}

export interface ReadContactDtos {
  /** every contact's well-formed writable fields, in input order (also for contacts with errors) */
  dtos: ValidContactDto[];
  /** ModelState errors, field = the ModelState key */
  errors: FieldError[];
}

/** Binds and validates a bulk body; a body that is not a non-empty array of at most 100 is one error on `contacts`. */
export function readContactDtos(body: unknown): ReadContactDtos {
  if (!Array.isArray(body)) {
    const found =
      body === null ? "null" : typeof body === "object" ? "a JSON object" : `a JSON ${typeof body}`;
    return bodyError(
      "REQUEST_BODY_INVALID",
      `The body must be a JSON array of ContactDto (a collection of contacts); it is ${found}.`,
    );
  }
  if (body.length === 0)
    return bodyError(
      "REQUEST_EMPTY_BATCH",
      "The collection of contacts is empty; send at least one contact.",
    );
  if (body.length > maxBulkContacts)
    return bodyError(
      "REQUEST_TOO_MANY_RECORDS",
      `The collection has ${body.length} contacts; at most ${maxBulkContacts} are accepted.`,
    );
  const dtos: ValidContactDto[] = [];
  const errors: FieldError[] = [];
  for (const [index, item] of body.entries()) {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      errors.push(
        fieldError(
          "REQUEST_BODY_INVALID",
          `${bodyParameter}[${index}]`,
          `A contact must be a JSON object (ContactDto). Path '[${index}]'.`,
          index,
        ),
      );
      dtos.push({});
      continue;
    }
    dtos.push(readContactDto(item as Record<string, unknown>, index, errors));
  }
  flagRepeatedStudentIds(dtos, errors);
  return { dtos, errors };
}

function bodyError(code: FieldError["code"], message: string): ReadContactDtos {
  return { dtos: [], errors: [fieldError(code, bodyParameter, message)] };
}

const writableFields = contactDtoFields.filter((f) => !f.readOnly);

function readContactDto(item: Record<string, unknown>, index: number, errors: FieldError[]): ValidContactDto {
  // Json.NET binds members case-insensitively; of two spellings of one member the last one wins.
  const raw = new Map<DtoField, unknown>();
  for (const key in item) {
    if (!Object.hasOwn(item, key)) continue;
    const field = fieldsByName.get(key) ?? fieldsByLowerName.get(key.toLowerCase());
    if (field && !field.readOnly) raw.set(field, item[key]);
  }
  const dto: ValidContactDto = {};
  for (const field of writableFields) {
    const value = raw.get(field);
    if (value === undefined || value === null) {
      if (field.required)
        fail(errors, index, field, "CONTACT_FIELD_REQUIRED", `The ${field.name} field is required.`);
      else if (value === null) dto[field.name] = null;
      continue;
    }
    const converted = convert(field, value);
    if (converted === undefined) {
      fail(
        errors,
        index,
        field,
        field.type === "date" ? "CONTACT_DATE_INVALID" : "CONTACT_FIELD_INVALID",
        `${conversionFailure(field, value)} Path '[${index}].${field.name}'.`,
      );
      continue;
    }
    const violation = ruleViolation(field, converted, value);
    if (violation) {
      fail(errors, index, field, violation[0], violation[1]);
      continue;
    }
    // An empty Gender is "not given", like null.
    dto[field.name] = field.type === "gender" && converted === "" ? null : converted;
  }
  return dto;
}

function fail(
  errors: FieldError[],
  index: number,
  field: DtoField,
  code: FieldError["code"],
  message: string,
) {
  errors.push(fieldError(code, `${bodyParameter}[${index}].${field.name}`, message, index));
}

/** The page's rule a converted value breaks, as [code, message]; undefined when it keeps them all. */
function ruleViolation(
  field: DtoField,
  converted: string | number | boolean,
  value: unknown,
): [FieldError["code"], string] | undefined {
  if (typeof converted === "string" && field.maxLength !== undefined && converted.length > field.maxLength)
    return [
      "CONTACT_FIELD_TOO_LONG",
      `The field ${field.name} must be a string with a maximum length of ${field.maxLength}.`,
    ];
  if (field.idRange && typeof converted === "number" && (converted < idRange.min || converted > idRange.max))
    return [
      "CONTACT_FIELD_OUT_OF_RANGE",
      `The field ${field.name} must be between ${idRange.min} and ${idRange.max}.`,
    ];
  if (
    field.type === "date" &&
    typeof converted === "string" &&
    (converted < dateOfBirthRange.min || converted > dateOfBirthRange.max)
  )
    return [
      "CONTACT_FIELD_OUT_OF_RANGE",
      `The field ${field.name} must be between ${dateOfBirthRange.min} and ${dateOfBirthRange.max}.`,
    ];
  if (
    field.type === "gender" &&
    converted !== "" &&
    !(genderValues as readonly string[]).includes(converted as string)
  )
    return [
      "CONTACT_FIELD_INVALID",
      `The field ${field.name} must be one of ${genderValues.map((g) => `'${g}'`).join(", ")}; '${String(value)}' is not.`,
    ];
  return undefined;
}

/** Json.NET's conversions: numeric strings to integers, "true"/"false" to booleans, numbers to strings. */
function convert(field: DtoField, value: unknown): string | number | boolean | undefined {
  switch (field.type) {
    case "integer":
      if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
      if (typeof value === "string" && /^\s*[+-]?\d{1,15}\s*$/.test(value)) return Number(value);
      return undefined;
    case "boolean":
      if (typeof value === "boolean") return value;
      if (typeof value === "string" && /^\s*(true|false)\s*$/i.test(value))
        return value.trim().toLowerCase() === "true";
      return undefined;
    case "string":
      if (typeof value === "string") return value;
      if (typeof value === "number") return String(value);
      return undefined;
    case "gender":
      return typeof value === "string" ? value.trim().toUpperCase() : undefined;
    case "date":
      return typeof value === "string" ? (readDateOnly(value) ?? undefined) : undefined;
  }
}

function conversionFailure(field: DtoField, value: unknown): string {
  if (typeof value === "object") {
    const token = Array.isArray(value) ? "[" : "{";
    return `Unexpected character encountered while parsing value: ${token}.`;
  }
  const shown =
    typeof value === "string" ? (value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value);
  switch (field.type) {
    case "integer":
      return typeof value === "string"
        ? `Could not convert string to integer: ${shown}.`
        : `Input string '${shown}' is not a valid integer.`;
    case "boolean":
      return typeof value === "string"
        ? `Could not convert string to boolean: ${shown}.`
        : `Error converting value ${shown} to type 'System.Boolean'.`;
    case "date":
      return typeof value === "string"
        ? `Could not convert string to DateTime: ${shown}; send an ISO 8601 date such as 1990-05-01 or 1990-05-01T00:00:00+10:00.`
        : `Error reading date. Unexpected token: ${typeof value === "number" ? "Integer" : "Boolean"}.`;
    default:
      return `Error converting value ${shown} to type 'System.String'.`;
  }
}

// Two contacts of one batch cannot both own a StudentId; say so on the later one, naming the earlier.
function flagRepeatedStudentIds(dtos: ValidContactDto[], errors: FieldError[]) {
  const first = new Map<string, number>();
  for (const [index, dto] of dtos.entries()) {
    const studentId = typeof dto.StudentId === "string" ? dto.StudentId.trim() : "";
    if (studentId === "") continue;
    const earlier = first.get(studentId);
    if (earlier === undefined) first.set(studentId, index);
    else
      errors.push(
        fieldError(
          "CONTACT_IDENTIFIER_TAKEN",
          `${bodyParameter}[${index}].StudentId`,
          `The StudentId '${studentId}' is also given to ${bodyParameter}[${earlier}]; a StudentId belongs to one contact.`,
          index,
        ),
      );
  }
}
