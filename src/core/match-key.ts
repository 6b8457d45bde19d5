import type { ContactInput, ScalarValue } from "./contact.js";
import { identifierSchemePattern } from "./contact-fields.js";
import { TributaryError } from "./errors.js";

/** What identifies "the same contact" for one batch: the contact id, an identifier scheme, the email, or the PI. */
export type IdProperty = "id" | "email" | "pi" | { scheme: string };

/** Parses the native API's idProperty string; null when it is not one Tributary knows. */
export function parseIdProperty(value: string): IdProperty | null {
  if (value === "id" || value === "email" || value === "pi") return value;
  return identifierSchemePattern.test(value) ? { scheme: value } : null;
}

/** Parses an idProperty a client sent; throws the request error that names the field when it is unknown. */
export function requireIdProperty(value: string): IdProperty {
  const parsed = parseIdProperty(value);
  if (parsed) return parsed;
  throw new TributaryError(
    "REQUEST_BODY_INVALID",
    `idProperty '${value}' is not id, email, pi or an identifier scheme`,
    [
      {
        code: "REQUEST_BODY_INVALID",
        field: "idProperty",
        message: "must be id, email, pi or a lower_snake identifier scheme",
      },
    ],
  );
}

/** The idProperty's name as clients write it. */
export function idPropertyName(idProperty: IdProperty): string {
  return typeof idProperty === "string" ? idProperty : idProperty.scheme;
}

/** The field a client fills to give an input its match key: where a missing key's error points. */
export function matchKeyField(input: ContactInput, idProperty: IdProperty): string {
  if (idProperty === "id" || idProperty === "email") return idProperty;
  if (idProperty === "pi") return text(input.fields.surname) ? "email" : "surname";
  return `identifiers.${idProperty.scheme}`;
}

/** Why an input has no match key, in the client's words. */
export function matchKeyMissingMessage(input: ContactInput, idProperty: IdProperty): string {
  if (idProperty !== "pi") return `The input has no ${idPropertyName(idProperty)} to match on`;
  return text(input.fields.surname)
    ? "The input has no pi to match on: a pi needs an email or a dateOfBirth besides the surname"
    : "The input has no pi to match on: a pi needs a surname";
}

const text = (value: ScalarValue | undefined): string =>
  typeof value === "string" ? value.trim().normalize("NFC").toLowerCase().replace(/\s+/g, " ") : "";

/** Lower-cased, trimmed email used for matching; empty when absent. */
export function normaliseEmailKey(value: ScalarValue | undefined): string {
  return typeof value === "string" ? value.trim().toLowerCase() : "";
}

/** The value an input is matched on, normalised; null when the input lacks it. */
export function matchKeyOf(input: ContactInput, idProperty: IdProperty): string | null {
  if (idProperty === "id") return input.id === undefined ? null : String(input.id);
  if (idProperty === "email") return normaliseEmailKey(input.fields.email) || null;
  if (idProperty === "pi") {
    const email = normaliseEmailKey(input.fields.email);
    const given = text(input.fields.givenName);
    const surname = text(input.fields.surname);
    const dob = typeof input.fields.dateOfBirth === "string" ? input.fields.dateOfBirth.slice(0, 10) : "";
    // A PI needs at least a surname and one of email or date of birth, or it would merge strangers.
    if (!surname || (!email && !dob)) return null;
    return [email, given, surname, dob].join("\u001f");
  }
  const value = input.identifiers?.[idProperty.scheme];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}
