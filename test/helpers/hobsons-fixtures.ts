import { listReferenceItems } from "../../src/store/reference-items.js";
import type { TestApp } from "./test-app.js";

/** The request sample of Hobsons' `POST api/bulk/contacts` page, verbatim (../shared/seeds/001_1986b170764e22a9.txt). */
export const pageSampleBody = `[ { "Id": 1, "StudentId": "sample string 2", "SalutationId": 1, "SalutationName": "sample string 3", "Name": "sample string 4", "Surname": "sample string 5", "MiddleName": "sample string 6", "Alias": "sample string 7", "FormerName": "sample string 8", "Gender": "A", "DateOfBirth": "2025-01-22T22:12:56.0388671+11:00", "EmailAddress": "sample string 9", "IsPermanentResident": true, "CountryOfResidenceId": 1, "CountryOfResidenceName": "sample string 11", "CountryOfCitizenshipId": 1, "CountryOfCitizenshipName": "sample string 12", "CountryOfBirthId": 1, "CountryOfBirthName": "sample string 13", "DateCreated": "2025-01-22T22:12:56.0388671+11:00", "DateModified": "2025-01-22T22:12:56.0388671+11:00", "HeatStatusId": 1, "HeatStatusName": "sample string 14", "HeatStatusChangeReason": "sample string 15", "SubChannelId": 1, "SubChannelName": "sample string 16", "ChannelId": 1, "ChannelName": "sample string 17", "ContactStatusId": 1, "ContactStatusName": "sample string 18", "ContactStatusChangeReason": "sample string 19", "IntakeId": 1, "IntakeName": "sample string 20", "Inactive": true }, { "Id": 1, "StudentId": "sample string 2", "SalutationId": 1, "SalutationName": "sample string 3", "Name": "sample string 4", "Surname": "sample string 5", "MiddleName": "sample string 6", "Alias": "sample string 7", "FormerName": "sample string 8", "Gender": "A", "DateOfBirth": "2025-01-22T22:12:56.0388671+11:00", "EmailAddress": "sample string 9", "IsPermanentResident": true, "CountryOfResidenceId": 1, "CountryOfResidenceName": "sample string 11", "CountryOfCitizenshipId": 1, "CountryOfCitizenshipName": "sample string 12", "CountryOfBirthId": 1, "CountryOfBirthName": "sample string 13", "DateCreated": "2025-01-22T22:12:56.0388671+11:00", "DateModified": "2025-01-22T22:12:56.0388671+11:00", "HeatStatusId": 1, "HeatStatusName": "sample string 14", "HeatStatusChangeReason": "sample string 15", "SubChannelId": 1, "SubChannelName": "sample string 16", "ChannelId": 1, "ChannelName": "sample string 17", "ContactStatusId": 1, "ContactStatusName": "sample string 18", "ContactStatusChangeReason": "sample string 19", "IntakeId": 1, "IntakeName": "sample string 20", "Inactive": true } ]`;

/** Reference ids of a test tenant, by the names its default reference data gives them. */
export interface HobsonsRefs {
  salutation: number;
  country: number;
  otherCountry: number;
  heatStatus: number;
  externalSubChannel: number;
  internalSubChannel: number;
  contactStatus: number;
}

/** Looks up the default reference rows the Hobsons tests write with. */
export async function hobsonsRefs(t: TestApp, tenantId = t.tenant.id): Promise<HobsonsRefs> {
  const find = async (kind: Parameters<typeof listReferenceItems>[2], name: string) => {
    const item = (await listReferenceItems(t.store.db, tenantId, kind)).find((i) => i.name === name);
    if (!item) throw new Error(`no ${kind} ${name}`);
    return item.id;
  };
  return {
    salutation: await find("salutation", "Dr"),
    country: await find("country", "Australia"),
    otherCountry: await find("country", "New Zealand"),
    heatStatus: await find("heat_status", "Hot"),
    externalSubChannel: await find("sub_channel", "Web Form"),
    internalSubChannel: await find("sub_channel", "Walk-in"),
    contactStatus: await find("contact_status", "Enquirer"),
  };
}

let counter = 0;

/** A valid ContactDto with a unique StudentId and email, overridable field by field. */
export function hobsonsContact(
  refs: HobsonsRefs,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  counter += 1;
  return {
    StudentId: `S-${process.pid}-${counter}`,
    SalutationId: refs.salutation,
    Name: "Grace",
    Surname: `Hopper-${counter}`,
    Gender: "F",
    DateOfBirth: "1990-12-09T00:00:00",
    EmailAddress: `grace.${counter}.${process.pid}@example.edu`,
    IsPermanentResident: true,
    CountryOfResidenceId: refs.country,
    HeatStatusId: refs.heatStatus,
    SubChannelId: refs.externalSubChannel,
    ContactStatusId: refs.contactStatus,
    Inactive: false,
    ...overrides,
  };
}
