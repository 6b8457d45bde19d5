/**
 * The ServiceStack service's DTOs as the page declares them (../../../../shared/seeds/000_4617496e96c8f02c.txt).
 * Bodies arrive untyped (JSON with typed scalars, JSV and forms with strings only), so the request DTO is a
 * table of wire names and .NET types that mapping.ts reads and coerces field by field.
 */

/** The .NET types the page's `CRMContactCreateRequest` uses. */
export type DotNetType = "int?" | "string" | "bool" | "DateTime?";

/** `CRMContactCreateRequest`: each wire field and its .NET type, in the page's order. */
export const contactCreateRequestFields = {
  regent_id: "int?",
  first_name: "string",
  last_name: "string",
  middle_name: "string",
  preferred_name: "string",
  prefix: "string",
  addressee: "string",
  primary_salutation: "string",
  former_name: "string",
  spouse_name: "string",
  spouse_is_main_contact: "bool",
  addr1: "string",
  addr2: "string",
  city: "string",
  state: "string",
  country: "string",
  code: "string",
  dob: "DateTime?",
  deceased_date: "DateTime?",
  citizenship: "string",
  citizenship_other: "string",
  permanent_resident: "string",
  denomination: "string",
  connection_to_regent: "string",
  student_segment: "string",
  reason_added: "string",
  gender: "string",
  marital_status: "string",
  financial_aid_received: "bool",
  is_applicant: "bool",
  solicitation_method: "string",
  solicitation_exceptions: "string",
  campaign_monitor_optin: "bool",
  campaign_monitor_suppressed: "bool",
  campaign_monitor_lists: "string",
  email: "string",
  email_secondary: "string",
  phone_home: "string",
  phone_bus: "string",
  phone_cell: "string",
  no_mail: "bool",
  no_email: "bool",
  no_bulk_email: "bool",
  no_phone: "bool",
  no_marketing_materials: "bool",
  prefers_email: "bool",
  prefers_phone: "bool",
  last_credit_class: "DateTime?",
  last_audit_class: "DateTime?",
  last_oncampus_class: "DateTime?",
  last_distance_education_class: "DateTime?",
  last_evening_weekend_class: "DateTime?",
  last_summer_class: "DateTime?",
  last_marketplace_class: "DateTime?",
  last_anglican_studies_class: "DateTime?",
  image_base64: "string",
  owning_username: "string",
} as const satisfies Record<string, DotNetType>;

export type ContactWireField = keyof typeof contactCreateRequestFields;

/** The request DTO's name, as ServiceStack's predefined routes spell it. */
export const upsertRequestName = "CRMContactUpsertMultipleRequest";

/** More contacts than this in one request are refused before any is read (the native API's batch limit). */
export const maxContactsPerRequest = 1000;

/** Largest decoded photo `image_base64` may carry. */
export const maxImageBytes = 5 * 1024 * 1024;

/** One entry of `ResponseStatus.errors` (ServiceStack's `ResponseError`). */
export interface ResponseError {
  errorCode: string;
  fieldName: string;
  message: string;
  meta?: Record<string, string>;
}

/** ServiceStack's `ResponseStatus`; every failure answers `{ responseStatus }`. */
export interface ResponseStatus {
  errorCode: string;
  message: string;
  stackTrace?: string;
  errors: ResponseError[];
}

/** The page's response object for the upsert: ResponseStatus-shaped, with counts and ids in `meta`. */
export interface UpsertMultipleResponse {
  errors: ResponseError[];
  meta: Record<string, string>;
}

/** ServiceStack's `AuthenticateResponse` (the fields this service fills). */
export interface AuthenticateResponse {
  userId?: string;
  sessionId?: string;
  userName?: string;
  displayName?: string;
  bearerToken?: string;
  roles?: string[];
  permissions?: string[];
}
