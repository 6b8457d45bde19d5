/**
 * The canonical contact's scalar fields, one table that drives validation, the database columns,
 * the native API schema and docs/model.md. Dialects map their wire names onto these names.
 */

export type FieldType = "text" | "boolean" | "date" | "reference" | "timestamp";

export type ReferenceKind =
  | "salutation"
  | "country"
  | "heat_status"
  | "channel"
  | "sub_channel"
  | "contact_status"
  | "intake";

/** The kinds of reference data, in their sort order (`heat_status`; the CLI and the API say `heat-status`). */
export const referenceKinds: readonly ReferenceKind[] = [
  "salutation",
  "country",
  "heat_status",
  "channel",
  "sub_channel",
  "contact_status",
  "intake",
];

export interface ContactFieldSpec {
  /** camelCase name used in TypeScript and in the native API */
  name: string;
  /** snake_case column of the contacts table */
  column: string;
  type: FieldType;
  /** maximum length in characters, for text */
  maxLength?: number;
  /** the reference kind, for references (stored as the reference row's id) */
  reference?: ReferenceKind;
  /** special text formats */
  format?: "email";
  description: string;
}

const t = (
  name: string,
  column: string,
  maxLength: number,
  description: string,
  format?: "email",
): ContactFieldSpec =>
  format
    ? { name, column, type: "text", maxLength, description, format }
    : { name, column, type: "text", maxLength, description };
const b = (name: string, column: string, description: string): ContactFieldSpec => ({
  name,
  column,
  type: "boolean",
  description,
});
const d = (name: string, column: string, description: string): ContactFieldSpec => ({
  name,
  column,
  type: "date",
  description,
});
const ts = (name: string, column: string, description: string): ContactFieldSpec => ({
  name,
  column,
  type: "timestamp",
  description,
});
const r = (
  name: string,
  column: string,
  reference: ReferenceKind,
  description: string,
): ContactFieldSpec => ({
  name,
  column,
  type: "reference",
  reference,
  description,
});

// Limits: the strictest page wins (Hobsons: names 120, middle name 100, email 254); fields no page limits get
// generous bounds so a runaway value is still refused with a clear error instead of bloating the row.
export const contactFields: readonly ContactFieldSpec[] = [
  r("salutationId", "salutation_id", "salutation", "Salutation reference (Mr, Ms, Dr, …)"),
  t("prefix", "prefix", 40, "Name prefix or title as free text (ServiceStack prefix, SAM title)"),
  t("primarySalutation", "primary_salutation", 120, 'How letters greet the contact ("Dear Ada")'),
  t("addressee", "addressee", 240, "How envelopes name the contact"),
  t("givenName", "given_name", 120, "Given (first) name"),
  t("middleName", "middle_name", 100, "Middle names"),
  t("surname", "surname", 120, "Family name"),
  t("preferredName", "preferred_name", 120, "Name the contact prefers to be called"),
  t("alias", "alias", 120, "Other names the contact is known by"),
  t("formerName", "former_name", 120, "Previous name (for example maiden name)"),
  t("spouseName", "spouse_name", 240, "Spouse's name"),
  b("spouseIsMainContact", "spouse_is_main_contact", "The spouse is the household's main contact"),
  t("gender", "gender", 30, "Gender: M, F, X (neutral), N (not disclosed), or a source's own word"),
  t("maritalStatus", "marital_status", 60, "Marital status"),
  d("dateOfBirth", "date_of_birth", "Date of birth (date only)"),
  d("deceasedDate", "deceased_date", "Date of death (date only)"),
  t("email", "email", 254, "Primary email address", "email"),
  t("emailSecondary", "email_secondary", 254, "Secondary email address", "email"),
  t("phoneMobile", "phone_mobile", 50, "Mobile phone"),
  t("phoneHome", "phone_home", 50, "Home phone"),
  t("phoneWork", "phone_work", 50, "Work (business) phone"),
  t("phoneOther", "phone_other", 50, "Other phone"),
  t("faxWork", "fax_work", 50, "Work fax"),
  t("faxHome", "fax_home", 50, "Home fax"),
  t("correspondenceLine1", "correspondence_line1", 200, "Correspondence (postal) address, line 1"),
  t("correspondenceLine2", "correspondence_line2", 200, "Correspondence address, line 2"),
  t("correspondenceLine3", "correspondence_line3", 200, "Correspondence address, line 3"),
  t("correspondenceTown", "correspondence_town", 100, "Correspondence address town or suburb"),
  t("correspondenceState", "correspondence_state", 100, "Correspondence address state, province or city"),
  t("correspondencePostcode", "correspondence_postcode", 20, "Correspondence address postcode"),
  r("correspondenceCountryId", "correspondence_country_id", "country", "Correspondence address country"),
  t("company", "company", 200, "Employer or organisation"),
  t("department", "department", 200, "Department within the organisation"),
  t("profession", "profession", 200, "Profession"),
  t("specialty", "specialty", 200, "Specialty within the profession"),
  t("category", "category", 200, "Contact category (free text)"),
  t("contactType", "contact_type", 100, "Contact type (free text)"),
  t("workLine1", "work_line1", 200, "Work address, line 1"),
  t("workLine2", "work_line2", 200, "Work address, line 2"),
  t("workLine3", "work_line3", 200, "Work address, line 3"),
  t("workCity", "work_city", 100, "Work address city"),
  t("workState", "work_state", 100, "Work address state"),
  t("workPostcode", "work_postcode", 20, "Work address postcode"),
  r("workCountryId", "work_country_id", "country", "Work address country"),
  t("otherLine1", "other_line1", 200, "Other address, line 1"),
  t("otherLine2", "other_line2", 200, "Other address, line 2"),
  t("otherLine3", "other_line3", 200, "Other address, line 3"),
  t("otherCity", "other_city", 100, "Other address city"),
  t("otherState", "other_state", 100, "Other address state"),
  t("otherPostcode", "other_postcode", 20, "Other address postcode"),
  r("otherCountryId", "other_country_id", "country", "Other address country"),
  r("countryOfResidenceId", "country_of_residence_id", "country", "Country of residence"),
  r("countryOfCitizenshipId", "country_of_citizenship_id", "country", "Country of citizenship"),
  r("dualCitizenshipCountryId", "dual_citizenship_country_id", "country", "Second country of citizenship"),
  r("countryOfBirthId", "country_of_birth_id", "country", "Country of birth"),
  b("isPermanentResident", "is_permanent_resident", "Holds permanent residency in the institution's country"),
  t("visaType", "visa_type", 100, "Visa type"),
  d("visaExpiryDate", "visa_expiry_date", "Visa expiry date"),
  t("denomination", "denomination", 100, "Religious denomination"),
  t("connection", "connection", 200, "How the contact is connected to the institution"),
  t("segment", "segment", 200, "Student or marketing segment"),
  t("reasonAdded", "reason_added", 200, "Why the contact was added"),
  t("inclusionStatus", "inclusion_status", 100, "Inclusion (equity) status"),
  b("financialAidReceived", "financial_aid_received", "Has received financial aid"),
  b("isApplicant", "is_applicant", "Is an applicant"),
  t("owner", "owner", 120, "User name of the contact's owner"),
  r("heatStatusId", "heat_status_id", "heat_status", "Current heat status (how warm a lead is)"),
  r(
    "contactStatusId",
    "contact_status_id",
    "contact_status",
    "Current contact status (enquirer, applicant, …)",
  ),
  r("subChannelId", "sub_channel_id", "sub_channel", "Sub-channel the contact came in through"),
  r("intakeId", "intake_id", "intake", "Intake the contact is interested in"),
  t("solicitationMethod", "solicitation_method", 200, "Preferred solicitation method"),
  t("solicitationExceptions", "solicitation_exceptions", 500, "Solicitation exceptions"),
  b("emailMarketingOptIn", "email_marketing_opt_in", "Opted in to email marketing lists"),
  b("emailMarketingSuppressed", "email_marketing_suppressed", "Suppressed from email marketing"),
  t("emailMarketingLists", "email_marketing_lists", 1000, "Email marketing lists (source's own list string)"),
  b("subscribedDirectEmail", "subscribed_direct_email", "Subscribed to direct emails"),
  b("subscribedDirectPhone", "subscribed_direct_phone", "Subscribed to direct phone calls"),
  b("subscribedDirectSms", "subscribed_direct_sms", "Subscribed to direct SMS"),
  b("noMail", "no_mail", "Opted out of postal mail"),
  b("noEmail", "no_email", "Opted out of email"),
  b("noBulkEmail", "no_bulk_email", "Opted out of bulk email"),
  b("noPhone", "no_phone", "Opted out of phone calls"),
  b("noMarketingMaterials", "no_marketing_materials", "Opted out of marketing materials"),
  b("prefersEmail", "prefers_email", "Prefers email"),
  b("prefersPhone", "prefers_phone", "Prefers phone"),
  d("lastCreditClass", "last_credit_class", "Last credit class taken"),
  d("lastAuditClass", "last_audit_class", "Last audit class taken"),
  d("lastOnCampusClass", "last_on_campus_class", "Last on-campus class taken"),
  d("lastDistanceEducationClass", "last_distance_education_class", "Last distance-education class taken"),
  d("lastEveningWeekendClass", "last_evening_weekend_class", "Last evening or weekend class taken"),
  d("lastSummerClass", "last_summer_class", "Last summer class taken"),
  d("lastMarketplaceClass", "last_marketplace_class", "Last marketplace class taken"),
  d("lastAnglicanStudiesClass", "last_anglican_studies_class", "Last Anglican studies class taken"),
  // 5 MiB of image in base64 (ServiceStack image_base64 allows 5 MiB).
  t("photoBase64", "photo_base64", 6_990_508, "Photo, base64-encoded (at most 5 MiB of image)"),
  t(
    "remarks",
    "remarks",
    10_000,
    "Free-text remarks kept on the contact itself (SAM notes); dated notes live in the notes list",
  ),
  t("facebookId", "facebook_id", 200, "Facebook id"),
  t("twitterId", "twitter_id", 200, "Twitter/X handle"),
  t("webPage", "web_page", 500, "Web page"),
  b("inactive", "inactive", "The contact is inactive"),
  ts("sourceCreatedAt", "source_created_at", "When the source system says it created the contact"),
  t("sourceCreatedBy", "source_created_by", 120, "Who the source system says created the contact"),
  ts("sourceModifiedAt", "source_modified_at", "The source system's modification clock (last-writer-wins)"),
  t("sourceModifiedBy", "source_modified_by", 120, "Who the source system says last modified the contact"),
];

export const contactFieldsByName: ReadonlyMap<string, ContactFieldSpec> = new Map(
  contactFields.map((f) => [f.name, f]),
);

/** Identifier schemes Tributary knows by name; any other lower_snake scheme is accepted too. */
export const knownIdentifierSchemes = [
  "external_id",
  "crm_number",
  "regent_id",
  "student_institution_id",
] as const;

export const identifierSchemePattern = /^[a-z][a-z0-9_]{0,39}$/;
