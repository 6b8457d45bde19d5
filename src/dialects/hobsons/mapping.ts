// Pure translation between Hobsons' ContactDto and Tributary's canonical contact; decisions in
// docs/dialects/hobsons.md ("Mapping").
import type { ContactInput, ScalarValue } from "../../core/contact.js";
import type { ContactView } from "../../store/contacts/read-contacts.js";
import type { ContactDto, ValidContactDto } from "./wire-schemas.js";

/** The identifier scheme a ContactDto's StudentId is stored under. */
export const studentIdScheme = "student_institution_id";

/** Writable ContactDto fields → canonical scalar fields. */
const scalarFields: ReadonlyArray<readonly [wire: string, canonical: string]> = [
  ["SalutationId", "salutationId"],
  ["Name", "givenName"],
  ["Surname", "surname"],
  ["MiddleName", "middleName"],
  ["Alias", "alias"],
  ["FormerName", "formerName"],
  ["Gender", "gender"],
  ["DateOfBirth", "dateOfBirth"],
  ["EmailAddress", "email"],
  ["IsPermanentResident", "isPermanentResident"],
  ["CountryOfResidenceId", "countryOfResidenceId"],
  ["CountryOfCitizenshipId", "countryOfCitizenshipId"],
  ["CountryOfBirthId", "countryOfBirthId"],
  ["HeatStatusId", "heatStatusId"],
  ["SubChannelId", "subChannelId"],
  ["ContactStatusId", "contactStatusId"],
  ["Inactive", "inactive"],
];

const wireByCanonical = new Map<string, string>([
  ...scalarFields.map(([wire, canonical]) => [canonical, wire] as const),
  [`identifiers.${studentIdScheme}`, "StudentId"],
  ["heatStatusReason", "HeatStatusChangeReason"],
  ["contactStatusReason", "ContactStatusChangeReason"],
  ["id", "Id"],
]);

/** The ContactDto name of a canonical field (as the engine names it in errors); the canonical name when none. */
export function wireFieldOf(canonical: string): string {
  return wireByCanonical.get(canonical) ?? canonical;
}

/**
 * A read ContactDto → a canonical input that creates a contact. Absent and null values are left out
 * (a new contact starts empty); an empty StudentId is no identifier; read-only fields are not read.
 */
export function toCanonical(dto: ValidContactDto): ContactInput {
  const fields: Record<string, ScalarValue> = {};
  for (const [wire, canonical] of scalarFields) {
    const value = dto[wire];
    if (value !== undefined && value !== null) fields[canonical] = value;
  }
  const input: ContactInput = { fields };
  const studentId = dto.StudentId;
  if (typeof studentId === "string" && studentId.trim() !== "")
    input.identifiers = { [studentIdScheme]: studentId };
  if (typeof dto.HeatStatusChangeReason === "string") input.heatStatusReason = dto.HeatStatusChangeReason;
  if (typeof dto.ContactStatusChangeReason === "string")
    input.contactStatusReason = dto.ContactStatusChangeReason;
  return input;
}

/** A reference row's name and parent, for filling the read-only `…Name` fields. */
export type ReferenceNames = ReadonlyMap<number, { name: string; parentId: number | null }>;

const str = (value: ScalarValue | undefined): string | null => (typeof value === "string" ? value : null);
const num = (value: ScalarValue | undefined): number | null => (typeof value === "number" ? value : null);

/** A stored contact → the ContactDto GET answers, with the read-only names filled from reference data. */
export function fromCanonical(view: ContactView, names: ReferenceNames): ContactDto {
  const f = view.fields;
  const nameOf = (id: number | null) => (id === null ? null : (names.get(id)?.name ?? null));
  const subChannelId = num(f.subChannelId);
  const channelId = subChannelId === null ? null : (names.get(subChannelId)?.parentId ?? null);
  const dateOfBirth = str(f.dateOfBirth);
  return {
    Id: view.id,
    StudentId: view.identifiers[studentIdScheme] ?? null,
    SalutationId: num(f.salutationId),
    SalutationName: nameOf(num(f.salutationId)),
    Name: str(f.givenName),
    Surname: str(f.surname),
    MiddleName: str(f.middleName),
    Alias: str(f.alias),
    FormerName: str(f.formerName),
    Gender: str(f.gender),
    // A .NET DateTime of unspecified kind, as Json.NET writes a date-only value.
    DateOfBirth: dateOfBirth === null ? null : `${dateOfBirth.slice(0, 10)}T00:00:00`,
    EmailAddress: str(f.email),
    // .NET clients bind these to non-nullable bools; a contact written elsewhere may lack them.
    IsPermanentResident: f.isPermanentResident === true,
    CountryOfResidenceId: num(f.countryOfResidenceId),
    CountryOfResidenceName: nameOf(num(f.countryOfResidenceId)),
    CountryOfCitizenshipId: num(f.countryOfCitizenshipId),
    CountryOfCitizenshipName: nameOf(num(f.countryOfCitizenshipId)),
    CountryOfBirthId: num(f.countryOfBirthId),
    CountryOfBirthName: nameOf(num(f.countryOfBirthId)),
    DateCreated: view.createdAt.toISOString(),
    DateModified: view.modifiedAt.toISOString(),
    HeatStatusId: num(f.heatStatusId),
    HeatStatusName: nameOf(num(f.heatStatusId)),
    HeatStatusChangeReason: null,
    SubChannelId: subChannelId,
    SubChannelName: nameOf(subChannelId),
    ChannelId: channelId,
    ChannelName: nameOf(channelId),
    ContactStatusId: num(f.contactStatusId),
    ContactStatusName: nameOf(num(f.contactStatusId)),
    ContactStatusChangeReason: null,
    IntakeId: num(f.intakeId),
    IntakeName: nameOf(num(f.intakeId)),
    Inactive: f.inactive === true,
  };
}

/** The reference ids a ContactDto names, so their names (and the sub-channel's channel) can be loaded. */
export function referenceIdsOf(view: ContactView): number[] {
  const ids: number[] = [];
  for (const name of [
    "salutationId",
    "countryOfResidenceId",
    "countryOfCitizenshipId",
    "countryOfBirthId",
    "heatStatusId",
    "subChannelId",
    "contactStatusId",
    "intakeId",
  ]) {
    const value = view.fields[name];
    if (typeof value === "number") ids.push(value);
  }
  return ids;
}
