import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorCode, FieldError } from "../../core/errors.js";
import { classifyError } from "../../http/classify-error.js";

// SAM's Error Definitions: each exception has a fixed HTTP status and a numeric code written as a float.
const exceptions = {
  WSNoUsernameOrPasswordException: {
    status: 400,
    code: 1001,
    text: "Username and Password must be supplied for login.",
  },
  WSInvalidParameterException: { status: 400, code: 1002, text: "Invalid parameter supplied to service." },
  WSInsufficientPermissionsException: {
    status: 401,
    code: 1003,
    text: "User does not have permissions for this operation.",
  },
  WSAccountLockedException: {
    status: 401,
    code: 1004,
    text: "This account is currently locked. Please check with your Administrator.",
  },
  WSAuthenticationFailedException: {
    status: 401,
    code: 1005,
    text: "Failed to authenticate. Please correct login details or press cancel if not registered.",
  },
  WSInvalidAuthTokenException: { status: 401, code: 1006, text: "Invalid or expired authentication token." },
  WSInternalException: { status: 500, code: 2000, text: "An internal error has occurred." },
} as const;

/** The name of one of SAM's exceptions this dialect answers with. */
export type SamException = keyof typeof exceptions;

/** Which SAM exception renders a Tributary error code. */
export function samExceptionFor(code: ErrorCode): SamException {
  switch (code) {
    case "AUTH_MISSING":
    case "AUTH_INVALID":
      return "WSInvalidAuthTokenException";
    case "AUTH_FORBIDDEN":
      return "WSInsufficientPermissionsException";
    case "AUTH_CREDENTIALS_MISSING":
      return "WSNoUsernameOrPasswordException";
    case "AUTH_LOGIN_FAILED":
      return "WSAuthenticationFailedException";
    case "AUTH_ACCOUNT_LOCKED":
      return "WSAccountLockedException";
    case "INTERNAL":
      return "WSInternalException";
    case "REQUEST_JSON_INVALID":
    case "REQUEST_BODY_INVALID":
    case "REQUEST_UNKNOWN_FIELD":
    case "REQUEST_FORBIDDEN_KEY":
    case "REQUEST_TOO_LARGE":
    case "REQUEST_UNSUPPORTED_MEDIA_TYPE":
    case "REQUEST_TOO_MANY_RECORDS":
    case "REQUEST_EMPTY_BATCH":
    case "REQUEST_NOT_FOUND":
    case "IDEMPOTENCY_KEY_REUSED":
    case "IDEMPOTENCY_KEY_IN_FLIGHT":
    case "IMPORT_NOT_ENDED":
    case "CONTACT_NOT_FOUND":
    case "REFERENCE_NOT_FOUND":
    case "REFERENCE_NAME_TAKEN":
    case "USER_NAME_TAKEN":
    case "BATCH_ROLLED_BACK":
    case "BATCH_REJECTED":
    case "CONTACT_FIELD_TOO_LONG":
    case "CONTACT_FIELD_INVALID":
    case "CONTACT_FIELD_REQUIRED":
    case "CONTACT_FIELD_OUT_OF_RANGE":
    case "CONTACT_EMAIL_INVALID":
    case "CONTACT_DATE_INVALID":
    case "CONTACT_REFERENCE_UNKNOWN":
    case "CONTACT_REFERENCE_INACTIVE":
    case "CONTACT_IDENTIFIER_TAKEN":
    case "CONTACT_MATCH_KEY_MISSING":
    case "CONTACT_ID_UNKNOWN":
      return "WSInvalidParameterException";
    default: {
      const unhandled: never = code;
      return unhandled;
    }
  }
}

/** One record-level problem on SAM's wire: the record's index, its externalId when it has one, the field. */
export interface SamFieldError {
  record?: number;
  externalId?: string;
  field?: string;
  message: string;
}

/**
 * SAM's error body: `{"exception", "errorCode", "message", "errors"?}`, with `errorCode` written as a
 * float (`1002.0`) the way the vendor's Java service writes it. The field names are our choice (the
 * vendor does not publish them); docs/dialects/sam.md fixes them.
 */
export function samErrorBody(
  exception: SamException,
  message?: string,
  errors: SamFieldError[] = [],
): string {
  const { code, text } = exceptions[exception];
  const list = errors.length > 0 ? `,"errors":${JSON.stringify(errors)}` : "";
  return `{"exception":${JSON.stringify(exception)},"errorCode":${code.toFixed(1)},"message":${JSON.stringify(message ?? text)}${list}}`;
}

/** The HTTP status SAM answers an exception with. */
export function samStatus(exception: SamException): number {
  return exceptions[exception].status;
}

/** The sentence a SAM client sees for a list of record-level problems. */
export function describeProblems(errors: SamFieldError[]): string {
  const parts = errors.map((e) => {
    const record =
      e.record === undefined
        ? ""
        : `record ${e.record}${e.externalId !== undefined ? ` (externalId '${e.externalId}')` : ""}`;
    const where = [record, e.field && `field ${e.field}`].filter(Boolean).join(", ");
    return where ? `${where}: ${e.message}` : e.message;
  });
  return `${exceptions.WSInvalidParameterException.text} ${parts.join("; ")}`;
}

/** Fastify error handler for the SAM routes: every error becomes one of SAM's exceptions. */
export function samErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const classified = classifyError(error);
  const exception = samExceptionFor(classified.code);
  if (classified.status >= 500) request.log.error({ err: error }, "request failed");
  else request.log.info({ code: classified.code }, classified.message);
  const errors = classified.details.map((d) => toSamFieldError(d, request.body));
  // Only parameter errors say more than the vendor's fixed sentence: auth answers reveal nothing extra.
  const message =
    exception === "WSInvalidParameterException"
      ? describeProblems(errors.length > 0 ? errors : [{ message: classified.message }])
      : undefined;
  return reply
    .status(samStatus(exception))
    .type("application/json; charset=utf-8")
    .send(samErrorBody(exception, message, exception === "WSInvalidParameterException" ? errors : []));
}

// Ajv names a field `[3].firstname`; the engine names it by record index plus the wire name.
function toSamFieldError(detail: FieldError, body: unknown): SamFieldError {
  let record = detail.index;
  let field = detail.field;
  const m = field === undefined ? null : /^\[(\d+)\]\.?(.*)$/.exec(field);
  if (m) {
    record = Number(m[1]);
    field = m[2] || undefined;
  }
  const message = readable(detail.message);
  const externalId = record !== undefined && Array.isArray(body) ? externalIdIn(body[record]) : undefined;
  // Keys in reading order: which record, which field, what is wrong.
  const out: SamFieldError = {
    ...(record !== undefined && { record }),
    ...(externalId !== undefined && { externalId }),
    ...(field && { field }),
    message: record === undefined && !field ? `the body ${message}` : message,
  };
  return out;
}

function externalIdIn(record: unknown): string | undefined {
  if (typeof record !== "object" || record === null) return undefined;
  const value = (record as Record<string, unknown>).externalId;
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

// Ajv says "must be integer,null"; people read "must be integer or null".
function readable(message: string): string {
  return message.replace(
    /^must be ([a-z]+(?:,[a-z]+)+)$/,
    (_, list: string) => `must be ${list.split(",").join(" or ")}`,
  );
}
