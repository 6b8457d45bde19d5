import { listReferenceItems } from "../../src/store/reference-items.js";
import type { TestApp } from "./test-app.js";

/** The request sample of Hobsons' `POST api/bulk/contacts` page, verbatim (../shared/seeds/001_1986b170764e22a9.txt). */
export const pageSampleBody = `[ { "Id": 1, "StudentId": "sample string 2", "SalutationId": 1, "SalutationName": "sample string 3", "Name": "sample string 4", "Surname": "sample string 5", "MiddleName": "sample string 6", "Alias": "sample string 7", "FormerName": "sample string 8", "Gender": "A", "DateOfBirth": "2025-01-22T22:12:56.0388671+11:00", "EmailAddress": "sample string 9", "IsPermanentResident": true, "CountryOfResidenceId": 1, "CountryOfResidenceName": "sample string 11", "CountryOfCitizenshipId": 1, "CountryOfCitizenshipName": "sample string 12", "CountryOfBirthId": 1, "CountryOfBirthName": "sample string 13", "DateCreated": "2025-01-22T22:12:56.0388671+11:00", "DateModified": "2025-01-22T22:12:56.0388671+11:00", "HeatStatusId": 1, "HeatStatusName": "sample string 14", "HeatStatusChangeReason": "sample string 15", "SubChannelId": 1, "SubChannelName": "sample string 16", "ChannelId": 1, "ChannelName": "sample string 17", "ContactStatusId": 1, "ContactStatusName": "sample string 18", "ContactStatusChangeReason": "sample string 19", "IntakeId": 1, "IntakeName": "sample string 20", "Inactive": true }, { "Id": 1, "StudentId": "sample string 2", "SalutationId": 1, "SalutationName": "sample string 3", "Name": "sample string 4", "Surname": "sample string 5", "MiddleName": "sample string 6", "Alias": "sample string 7", "FormerName": "sample string 8", "Gender": "A", "DateOfBirth": "2025-01-22T22:12:56.0388671+11:00", "EmailAddress": "sample string 9", "IsPermanentResident": true, "CountryOfResidenceId": 1, "CountryOfResidenceName": "sample string 11", "CountryOfCitizenshipId": 1, "CountryOfCitizenshipName": "sample string 12", "CountryOfBirthId": 1, "CountryOfBirthName": "sample string 13", "DateCreated": "2025-01-22T22:12:56.0388671+11:00", "DateModified": "2025-01-22T22:12:56.0388671+11:00", "HeatStatusId": 1, "HeatStatusName": "sample string 14", "HeatStatusChangeReason": "sample string 15", "SubChannelId": 1, "SubChannelName": "sample string 16", "ChannelId": 1, "ChannelName": "sample string 17", "ContactStatusId": 1, "ContactStatusName": "sample string 18", "ContactStatusChangeReason": "sample string 19", "IntakeId": 1, "IntakeName": "sample string 20", "Inactive": true } ]`;

/** The request sample of Hobsons' `POST api/processes/preprocessupsertcontacts` page, verbatim (../shared/seeds/002_bcea6d9dcd098197.txt). */
export const preprocessSampleBody = `[ { "CrmNumber": 1, "StudentInstitutionId": "sample string 1", "Salutation": "sample string 2", "Name": "sample string 3", "Surname": "sample string 4", "MiddleName": "sample string 5", "Alias": "sample string 6", "FormerName": "sample string 7", "Gender": "A", "DateOfBirth": "2025-01-22T22:11:46.0401844+11:00", "EmailAddress": "sample string 8", "EmailAddress2": "sample string 9", "Mobile": "sample string 10", "PhoneWork": "sample string 11", "PhoneHome": "sample string 12", "FaxWork": "sample string 13", "FaxHome": "sample string 14", "CorrespondenceStreetAddressLine1": "sample string 15", "CorrespondenceStreetAddressLine2": "sample string 16", "CorrespondenceStreetAddressLine3": "sample string 17", "CorrespondenceTownSuburb": "sample string 18", "CorrespondenceStateCity": "sample string 19", "CorrespondencePostcode": "sample string 20", "CorrespondenceCountry": "sample string 21", "CountryOfBirth": "sample string 22", "CountryOfCitizenship": "sample string 23", "DualCountryOfCitizenship": "sample string 24", "CountryOfResidence": "sample string 25", "IsPermanentResident": true, "VisaType": "sample string 26", "VisaExpiryDate": "2025-01-22T22:11:46.0401844+11:00", "InclusionStatus": "sample string 27", "HeatStatus": "sample string 28", "HeatStatusReason": "sample string 29", "SubChannel": "sample string 30", "Intake": "sample string 31", "ContactStatus": "sample string 32", "ContactStatusDate": "2025-01-22T22:11:46.0401844+11:00", "ContactStatusReason": "sample string 33", "SubscribedToDirectEmails": true, "SubscribedToDirectPhoneCalls": true, "SubscribedToDirectSms": true, "ContactNoteContent": "sample string 34", "ContactNoteType": "sample string 35", "Inactive": true, "CreateTask": true, "TaskType": "sample string 36", "TaskDescription": "sample string 37", "TaskActionDate": "2025-01-22T22:11:46.0401844+11:00", "Tag": "sample string 38", "TagDate": "2025-01-22T22:11:46.0401844+11:00", "ConsentType": "sample string 39", "Consent": true, "PackageCourses": true, "ActivityPreferenceNumber": 1, "ActivityStudyLevel": "sample string 40", "ActivityFaculty": "sample string 41", "ActivityCourse": "sample string 42", "ActivityDepartment": "sample string 43", "ActivityCampus": "sample string 44", "ActivityStudyArea": "sample string 45", "CommunicationIncoming": true, "CommunicationCategory": "sample string 46", "CommunicationType": "sample string 47", "CommunicationHeadline": "sample string 48", "CommunicationLabels": "sample string 49", "CommunicationSubject": "sample string 50", "CommunicationCode": "sample string 51", "CommunicationEffectiveness": "sample string 52", "CommunicationFromEmailAddress": "sample string 53", "CommunicationToEmailAddress": "sample string 54", "CommunicationSendExternal": true, "CommunicationSource": "sample string 55", "CommunicationReferralSource": "sample string 56", "CommunicationDateCreated": "2025-01-22T22:11:46.0401844+11:00" }, { "CrmNumber": 1, "StudentInstitutionId": "sample string 1", "Salutation": "sample string 2", "Name": "sample string 3", "Surname": "sample string 4", "MiddleName": "sample string 5", "Alias": "sample string 6", "FormerName": "sample string 7", "Gender": "A", "DateOfBirth": "2025-01-22T22:11:46.0401844+11:00", "EmailAddress": "sample string 8", "EmailAddress2": "sample string 9", "Mobile": "sample string 10", "PhoneWork": "sample string 11", "PhoneHome": "sample string 12", "FaxWork": "sample string 13", "FaxHome": "sample string 14", "CorrespondenceStreetAddressLine1": "sample string 15", "CorrespondenceStreetAddressLine2": "sample string 16", "CorrespondenceStreetAddressLine3": "sample string 17", "CorrespondenceTownSuburb": "sample string 18", "CorrespondenceStateCity": "sample string 19", "CorrespondencePostcode": "sample string 20", "CorrespondenceCountry": "sample string 21", "CountryOfBirth": "sample string 22", "CountryOfCitizenship": "sample string 23", "DualCountryOfCitizenship": "sample string 24", "CountryOfResidence": "sample string 25", "IsPermanentResident": true, "VisaType": "sample string 26", "VisaExpiryDate": "2025-01-22T22:11:46.0401844+11:00", "InclusionStatus": "sample string 27", "HeatStatus": "sample string 28", "HeatStatusReason": "sample string 29", "SubChannel": "sample string 30", "Intake": "sample string 31", "ContactStatus": "sample string 32", "ContactStatusDate": "2025-01-22T22:11:46.0401844+11:00", "ContactStatusReason": "sample string 33", "SubscribedToDirectEmails": true, "SubscribedToDirectPhoneCalls": true, "SubscribedToDirectSms": true, "ContactNoteContent": "sample string 34", "ContactNoteType": "sample string 35", "Inactive": true, "CreateTask": true, "TaskType": "sample string 36", "TaskDescription": "sample string 37", "TaskActionDate": "2025-01-22T22:11:46.0401844+11:00", "Tag": "sample string 38", "TagDate": "2025-01-22T22:11:46.0401844+11:00", "ConsentType": "sample string 39", "Consent": true, "PackageCourses": true, "ActivityPreferenceNumber": 1, "ActivityStudyLevel": "sample string 40", "ActivityFaculty": "sample string 41", "ActivityCourse": "sample string 42", "ActivityDepartment": "sample string 43", "ActivityCampus": "sample string 44", "ActivityStudyArea": "sample string 45", "CommunicationIncoming": true, "CommunicationCategory": "sample string 46", "CommunicationType": "sample string 47", "CommunicationHeadline": "sample string 48", "CommunicationLabels": "sample string 49", "CommunicationSubject": "sample string 50", "CommunicationCode": "sample string 51", "CommunicationEffectiveness": "sample string 52", "CommunicationFromEmailAddress": "sample string 53", "CommunicationToEmailAddress": "sample string 54", "CommunicationSendExternal": true, "CommunicationSource": "sample string 55", "CommunicationReferralSource": "sample string 56", "CommunicationDateCreated": "2025-01-22T22:11:46.0401844+11:00" } ]`;

/** The members of ContactUpsertDto in the order of the same page's response sample (`OutData`). */
export const contactUpsertDtoMembers = [
  "CrmNumber",
  "StudentInstitutionId",
  "Salutation",
  "Name",
  "Surname",
  "MiddleName",
  "Alias",
  "FormerName",
  "Gender",
  "DateOfBirth",
  "EmailAddress",
  "EmailAddress2",
  "Mobile",
  "PhoneWork",
  "PhoneHome",
  "FaxWork",
  "FaxHome",
  "CorrespondenceStreetAddressLine1",
  "CorrespondenceStreetAddressLine2",
  "CorrespondenceStreetAddressLine3",
  "CorrespondenceTownSuburb",
  "CorrespondenceStateCity",
  "CorrespondencePostcode",
  "CorrespondenceCountry",
  "CountryOfBirth",
  "CountryOfCitizenship",
  "DualCountryOfCitizenship",
  "CountryOfResidence",
  "IsPermanentResident",
  "VisaType",
  "VisaExpiryDate",
  "InclusionStatus",
  "HeatStatus",
  "HeatStatusReason",
  "SubChannel",
  "Intake",
  "ContactStatus",
  "ContactStatusDate",
  "ContactStatusReason",
  "SubscribedToDirectEmails",
  "SubscribedToDirectPhoneCalls",
  "SubscribedToDirectSms",
  "ContactNoteContent",
  "ContactNoteType",
  "Inactive",
  "CreateTask",
  "TaskType",
  "TaskDescription",
  "TaskActionDate",
  "Tags",
  "Consents",
  "PackageCourses",
  "Courses",
  "Communications",
];

/** The members of the page's Tags, Consents, Courses and Communications items, in the sample's order. */
export const contactUpsertDtoItemMembers = {
  Tags: ["Tag", "TagDate"],
  Consents: ["Type", "Consent"],
  Courses: ["PreferenceNumber", "StudyLevel", "Faculty", "Course", "Department", "Campus", "StudyArea"],
  Communications: [
    "Incoming",
    "Category",
    "Type",
    "Headline",
    "Labels",
    "Subject",
    "Code",
    "Effectiveness",
    "FromEmailAddress",
    "ToEmailAddress",
    "SendExternal",
    "Source",
    "ReferralSource",
    "DateCreated",
  ],
};

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
