/**
 * The registry of Tributary's error codes. Every error a client can see is a value with one of
 * these codes, a message, and (for record-level errors) a record index and a field path. Each
 * dialect renders them in its own wire shape; docs/errors.md documents every code (a test checks).
 */

export const errorCatalog = {
  // Request-level (the whole request is refused)
  REQUEST_JSON_INVALID: { status: 400, message: "The body is not valid JSON" },
  REQUEST_BODY_INVALID: { status: 400, message: "The body does not match the expected shape" },
  REQUEST_UNKNOWN_FIELD: { status: 400, message: "The body has a field this endpoint does not know" },
  REQUEST_FORBIDDEN_KEY: { status: 400, message: "The body has a forbidden key (__proto__ or constructor)" },
  REQUEST_TOO_LARGE: { status: 413, message: "The body is over the size limit" },
  REQUEST_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "The body's content type is not supported" },
  REQUEST_TOO_MANY_RECORDS: { status: 400, message: "The batch has more records than allowed" },
  REQUEST_EMPTY_BATCH: { status: 400, message: "The batch has no records" },
  REQUEST_NOT_FOUND: { status: 404, message: "No such route" },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: "The Idempotency-Key was used with another request body" },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, message: "A request with this Idempotency-Key is still running" },
  AUTH_MISSING: { status: 401, message: "No credentials were given" },
  AUTH_INVALID: { status: 401, message: "The token is unknown, revoked or expired" },
  AUTH_FORBIDDEN: { status: 403, message: "The token lacks the role this operation needs" },
  AUTH_CREDENTIALS_MISSING: {
    status: 400,
    message: "A login needs both a user name (or email) and a password",
  },
  AUTH_LOGIN_FAILED: { status: 401, message: "The user name (or email) and password do not match" },
  AUTH_ACCOUNT_LOCKED: { status: 401, message: "Too many failed logins; the account is locked for a while" },
  CONTACT_NOT_FOUND: { status: 404, message: "No contact with this id" },
  REFERENCE_NOT_FOUND: { status: 404, message: "No reference row with this id" },
  REFERENCE_NAME_TAKEN: { status: 409, message: "A reference row of this kind already has this name" },
  USER_NAME_TAKEN: { status: 409, message: "The tenant already has a user with this name" },
  BATCH_REJECTED: { status: 422, message: "One or more inputs are invalid; nothing was written" },
  IMPORT_NOT_ENDED: { status: 409, message: "The import job has not ended yet" },
  INTERNAL: { status: 500, message: "Internal error" },
  // Record-level (one input of a batch)
  CONTACT_FIELD_TOO_LONG: { status: 422, message: "The value is longer than allowed" },
  CONTACT_FIELD_INVALID: { status: 422, message: "The value has the wrong type or format" },
  CONTACT_FIELD_REQUIRED: { status: 422, message: "The field is required" },
  CONTACT_FIELD_OUT_OF_RANGE: { status: 422, message: "The value is outside the allowed range" },
  CONTACT_EMAIL_INVALID: { status: 422, message: "The value is not an email address" },
  CONTACT_DATE_INVALID: { status: 422, message: "The value is not a date" },
  CONTACT_REFERENCE_UNKNOWN: { status: 422, message: "The reference does not exist for this tenant" },
  CONTACT_REFERENCE_INACTIVE: {
    status: 422,
    message: "The reference is deactivated and refused for new writes",
  },
  CONTACT_IDENTIFIER_TAKEN: { status: 422, message: "The identifier already belongs to another contact" },
  CONTACT_MATCH_KEY_MISSING: { status: 422, message: "The input lacks the value its idProperty needs" },
  CONTACT_ID_UNKNOWN: { status: 422, message: "No contact has this id" },
  // A valid input of an allOrNone batch that another input's error kept from being written.
  BATCH_ROLLED_BACK: {
    status: 422,
    message: "Not written: another input of this allOrNone batch is invalid",
  },
} as const;

export type ErrorCode = keyof typeof errorCatalog;

/** One error about one record (or the request when index is absent), as a value. */
export interface FieldError {
  code: ErrorCode;
  field?: string;
  message: string;
  index?: number;
}

/** An error that aborts a request; carries one or more FieldErrors and an HTTP status. */
export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: FieldError[];
  constructor(code: ErrorCode, message?: string, details: FieldError[] = []) {
    super(message ?? errorCatalog[code].message);
    this.name = "TributaryError";
    this.code = code;
    this.status = errorCatalog[code].status;
    this.details = details;
  }
}

/**
 * The error as a wire or a file names its field: `field` for its path, and `name` (the path by default) for
 * the field's own name where the message begins with it (`email 'x' is not…` → `E-mail 'x' is not…`).
 */
export function renameErrorField<E extends { field?: string; message: string }>(
  error: E,
  field: string,
  name = field,
): E {
  if (error.field === undefined || error.field === field) return error;
  const own = error.field.slice(error.field.lastIndexOf(".") + 1);
  const leads = error.message.startsWith(own) && !/[\w$]/.test(error.message.charAt(own.length));
  return { ...error, field, message: leads ? name + error.message.slice(own.length) : error.message };
}

/** Builds a record-level error value with the catalog's message unless one is given. */
export function fieldError(
  code: ErrorCode,
  field: string | undefined,
  message?: string,
  index?: number,
): FieldError {
  const error: FieldError = { code, message: message ?? errorCatalog[code].message };
  if (field !== undefined) error.field = field;
  if (index !== undefined) error.index = index;
  return error;
}
