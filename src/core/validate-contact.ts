import type { ContactInput, ScalarValue } from "./contact.js";
import { type ContactFieldSpec, contactFieldsByName, identifierSchemePattern } from "./contact-fields.js";
import { parseDateOnly, parseTimestamp } from "./dates.js";
import { type FieldError, fieldError } from "./errors.js";
import { isWellFormed, textProblem } from "./text-problems.js";
import { validateContactChildren } from "./validate-children.js";

// Deliberately permissive: one @, no spaces, a dot in the domain. Stricter checks reject real addresses.
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Checks and normalises one input's scalar fields and identifiers; returns errors with the input's index. */
export function validateContactInput(input: ContactInput, index: number, fieldPrefix = ""): FieldError[] {
  const errors: FieldError[] = [];
  const at = (name: string) => `${fieldPrefix}${name}`;
  // for…in, not Object.entries: an import validates 45 fields per row, and the pairs were its garbage.
  for (const name in input.fields) {
    const value = input.fields[name];
    const spec = contactFieldsByName.get(name);
    if (!spec) {
      errors.push(fieldError("CONTACT_FIELD_INVALID", at(name), `Unknown field '${name}'`, index));
      continue;
    }
    if (value === null) continue;
    const normalised = normaliseScalar(spec.format === "email" ? "email" : spec.type, value);
    if (normalised === undefined) {
      errors.push(
        fieldError(
          spec.type === "date" || spec.type === "timestamp"
            ? "CONTACT_DATE_INVALID"
            : "CONTACT_FIELD_INVALID",
          at(name),
          `${name} must be ${describeType(spec.type)}`,
          index,
        ),
      );
      continue;
    }
    if (typeof normalised === "string" && normalised.includes("\u0000")) {
      // PostgreSQL text cannot hold NUL; say so on the field instead of failing the whole batch later.
      errors.push(
        fieldError("CONTACT_FIELD_INVALID", at(name), `${name} contains a NUL (U+0000) character`, index),
      );
      continue;
    }
    if (typeof normalised === "string" && !isWellFormed(normalised)) {
      // An unpaired UTF-16 surrogate (JSON's "\ud800") is not Unicode: PostgreSQL would refuse the batch's
      // statement without naming the record, or the driver would store U+FFFD in its place.
      errors.push(
        fieldError(
          "CONTACT_FIELD_INVALID",
          at(name),
          `${name} contains an unpaired surrogate (it is not valid Unicode)`,
          index,
        ),
      );
      continue;
    }
    if (
      spec.type === "text" &&
      spec.maxLength !== undefined &&
      (normalised as string).length > spec.maxLength
    ) {
      errors.push(
        fieldError(
          "CONTACT_FIELD_TOO_LONG",
          at(name),
          `${name} is ${(normalised as string).length} characters long; at most ${spec.maxLength} are allowed`,
          index,
        ),
      );
      continue;
    }
    if (spec.format === "email" && normalised !== "" && !emailPattern.test(normalised as string)) {
      errors.push(
        fieldError(
          "CONTACT_EMAIL_INVALID",
          at(name),
          `${name} '${normalised}' is not an email address`,
          index,
        ),
      );
      continue;
    }
    if (normalised !== value) input.fields[name] = normalised;
  }
  for (const [scheme, value] of Object.entries(input.identifiers ?? {})) {
    if (!identifierSchemePattern.test(scheme)) {
      errors.push(
        fieldError(
          "CONTACT_FIELD_INVALID",
          at(`identifiers.${scheme}`),
          `Identifier scheme '${scheme}' must be lower_snake_case`,
          index,
        ),
      );
    } else if (typeof value !== "string" || !validIdentifierValue(value)) {
      errors.push(
        fieldError(
          "CONTACT_FIELD_INVALID",
          at(`identifiers.${scheme}`),
          `Identifier ${scheme} must be a non-empty string of at most 200 characters of valid Unicode, without NUL`,
          index,
        ),
      );
    }
  }
  for (const [field, value] of [
    ["heatStatusReason", input.heatStatusReason],
    ["contactStatusReason", input.contactStatusReason],
    ["contactStatusDate", input.contactStatusDate],
  ] as const) {
    const problem = textProblem(value);
    if (problem) errors.push(fieldError("CONTACT_FIELD_INVALID", at(field), `${field} ${problem}`, index));
  }
  for (const problem of validateContactChildren(input))
    errors.push(fieldError(problem.code, at(problem.path), problem.message, index));
  for (const [field, reason] of [
    ["heatStatusReason", input.heatStatusReason],
    ["contactStatusReason", input.contactStatusReason],
  ] as const) {
    if (typeof reason === "string" && reason.length > 100) {
      errors.push(
        fieldError(
          "CONTACT_FIELD_TOO_LONG",
          at(field),
          `${field} is ${reason.length} characters long; at most 100 are allowed`,
          index,
        ),
      );
    }
  }
  return errors;
}

/**
 * A text field's value as `validateContactInput` normalises it (an email trimmed), or undefined when it
 * refuses it: for a reader that checks cells itself and must accept exactly what validation accepts.
 */
export function validTextValue(spec: ContactFieldSpec, value: string): string | undefined {
  const normalised = spec.format === "email" ? value.trim() : value;
  if (normalised.includes("\u0000") || !isWellFormed(normalised)) return undefined;
  if (spec.maxLength !== undefined && normalised.length > spec.maxLength) return undefined;
  if (spec.format === "email" && normalised !== "" && !emailPattern.test(normalised)) return undefined;
  return normalised;
}

/** Whether `validateContactInput` accepts a string as an identifier's value (then matched trimmed). */
export function validIdentifierValue(value: string): boolean {
  return value.trim() !== "" && value.length <= 200 && !value.includes("\u0000") && isWellFormed(value);
}

function normaliseScalar(type: string, value: ScalarValue): ScalarValue | undefined {
  switch (type) {
    case "text":
      return typeof value === "string" ? value : undefined;
    case "email":
      // Stray spaces around an address are a typing slip, not part of it.
      return typeof value === "string" ? value.trim() : undefined;
    case "boolean":
      return typeof value === "boolean" ? value : undefined;
    case "reference":
      return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 2 ** 53
        ? value
        : undefined;
    case "date":
      return typeof value === "string" ? (parseDateOnly(value) ?? undefined) : undefined;
    case "timestamp": {
      if (typeof value !== "string" && typeof value !== "number") return undefined;
      const date = parseTimestamp(value);
      return date ? date.toISOString() : undefined;
    }
    default:
      return undefined;
  }
}

function describeType(type: string): string {
  switch (type) {
    case "text":
      return "a string";
    case "boolean":
      return "true or false";
    case "reference":
      return "a positive integer id";
    case "date":
      return "a date (YYYY-MM-DD)";
    default:
      return "an ISO timestamp or epoch milliseconds";
  }
}
