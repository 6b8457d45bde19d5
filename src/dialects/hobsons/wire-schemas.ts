// The ContactDto of Hobsons Connect's `POST api/bulk/contacts` page (../shared/seeds/001_1986b170764e22a9.txt),
// as a table: wire name, JSON type and the page's "Additional information" column. The bulk route reads
// bodies with its own per-field reader (read-contact-dtos.ts) instead of Ajv, so that a wrong type is a
// ModelState entry for that path and every violation of every contact is reported at once.

export type DtoFieldType = "integer" | "string" | "boolean" | "date" | "gender";

export interface DtoField {
  /** PascalCase name exactly as on the page */
  name: string;
  type: DtoFieldType;
  /** "String length: inclusive between 0 and N" */
  maxLength?: number;
  /** "Range: inclusive between 1 and 99999999" */
  idRange?: true;
  /** "Required" */
  required?: true;
  /** "Ignored for PUT and POST requests": accepted with any value, never stored */
  readOnly?: true;
}

/** The largest batch the page accepts ("maximum accepted: 100"). */
export const maxBulkContacts = 100;

/** Every reference id on the page ranges over 1–99,999,999. */
export const idRange = { min: 1, max: 99_999_999 } as const;

/** DateOfBirth's range on the page: 1 Jan 1900 to 31 Dec 2099, inclusive. */
export const dateOfBirthRange = { min: "1900-01-01", max: "2099-12-31" } as const;

/** Gender's valid values: Male, Female, Gender Neutral, Not Disclosed. */
export const genderValues = ["M", "F", "X", "N"] as const;

const id = (name: string, required?: true): DtoField =>
  required ? { name, type: "integer", idRange: true, required } : { name, type: "integer", idRange: true };
const text = (name: string, maxLength: number): DtoField => ({ name, type: "string", maxLength });
const readOnly = (name: string, type: DtoFieldType): DtoField => ({ name, type, readOnly: true });

/** ContactDto's fields in the page's order. */
export const contactDtoFields: readonly DtoField[] = [
  readOnly("Id", "integer"),
  text("StudentId", 30),
  id("SalutationId"),
  readOnly("SalutationName", "string"),
  text("Name", 120),
  text("Surname", 120),
  text("MiddleName", 100),
  text("Alias", 120),
  text("FormerName", 120),
  { name: "Gender", type: "gender" },
  { name: "DateOfBirth", type: "date" },
  text("EmailAddress", 254),
  { name: "IsPermanentResident", type: "boolean", required: true },
  id("CountryOfResidenceId"),
  readOnly("CountryOfResidenceName", "string"),
  id("CountryOfCitizenshipId"),
  readOnly("CountryOfCitizenshipName", "string"),
  id("CountryOfBirthId"),
  readOnly("CountryOfBirthName", "string"),
  readOnly("DateCreated", "date"),
  readOnly("DateModified", "date"),
  id("HeatStatusId", true),
  readOnly("HeatStatusName", "string"),
  text("HeatStatusChangeReason", 100),
  id("SubChannelId", true),
  readOnly("SubChannelName", "string"),
  readOnly("ChannelId", "integer"),
  readOnly("ChannelName", "string"),
  id("ContactStatusId", true),
  readOnly("ContactStatusName", "string"),
  text("ContactStatusChangeReason", 100),
  readOnly("IntakeId", "integer"),
  readOnly("IntakeName", "string"),
  { name: "Inactive", type: "boolean", required: true },
];

/** ContactDto as GET answers it: every field of the page, read-only ones filled in. */
export interface ContactDto {
  Id: number;
  StudentId: string | null;
  SalutationId: number | null;
  SalutationName: string | null;
  Name: string | null;
  Surname: string | null;
  MiddleName: string | null;
  Alias: string | null;
  FormerName: string | null;
  Gender: string | null;
  DateOfBirth: string | null;
  EmailAddress: string | null;
  IsPermanentResident: boolean;
  CountryOfResidenceId: number | null;
  CountryOfResidenceName: string | null;
  CountryOfCitizenshipId: number | null;
  CountryOfCitizenshipName: string | null;
  CountryOfBirthId: number | null;
  CountryOfBirthName: string | null;
  DateCreated: string;
  DateModified: string;
  HeatStatusId: number | null;
  HeatStatusName: string | null;
  HeatStatusChangeReason: null;
  SubChannelId: number | null;
  SubChannelName: string | null;
  ChannelId: number | null;
  ChannelName: string | null;
  ContactStatusId: number | null;
  ContactStatusName: string | null;
  ContactStatusChangeReason: null;
  IntakeId: number | null;
  IntakeName: string | null;
  Inactive: boolean;
}

/** A contact the reader accepted: writable wire fields with their values converted to JSON types. */
export type ValidContactDto = Record<string, string | number | boolean | null>;
