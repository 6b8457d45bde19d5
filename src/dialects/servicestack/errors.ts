import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { type ErrorCode, errorCatalog, type FieldError } from "../../core/errors.js";
import { type ClassifiedError, classifyError } from "../../http/classify-error.js";
import { sendWire } from "./response-format.js";
import type { ResponseError, ResponseStatus } from "./wire-schemas.js";

interface Rendering {
  status: number;
  /** ResponseStatus.errorCode, or for record-level codes the FluentValidation validator name */
  errorCode: string;
  /** the vendor's fixed wording, when ServiceStack always says the same thing */
  message?: string;
}

/** How ServiceStack would answer each Tributary code (docs/dialects/servicestack.md, "Errors"). */
export function serviceStackRendering(code: ErrorCode): Rendering {
  switch (code) {
    case "REQUEST_JSON_INVALID":
    case "REQUEST_BODY_INVALID":
    case "REQUEST_UNKNOWN_FIELD":
    case "REQUEST_FORBIDDEN_KEY":
      return { status: 400, errorCode: "SerializationException" };
    case "REQUEST_TOO_LARGE":
      return { status: 413, errorCode: "RequestEntityTooLarge" };
    case "REQUEST_UNSUPPORTED_MEDIA_TYPE":
      return { status: 415, errorCode: "NotSupportedException" };
    case "REQUEST_TOO_MANY_RECORDS":
      return { status: 400, errorCode: "Length" };
    case "REQUEST_EMPTY_BATCH":
    case "CONTACT_FIELD_REQUIRED":
    case "CONTACT_MATCH_KEY_MISSING":
    case "AUTH_CREDENTIALS_MISSING":
      return { status: 400, errorCode: "NotEmpty" };
    case "REQUEST_NOT_FOUND":
    case "CONTACT_NOT_FOUND":
    case "REFERENCE_NOT_FOUND":
      return { status: 404, errorCode: "NotFound" };
    case "IDEMPOTENCY_KEY_REUSED":
    case "IDEMPOTENCY_KEY_IN_FLIGHT":
    case "IMPORT_NOT_ENDED":
    case "REFERENCE_NAME_TAKEN":
    case "USER_NAME_TAKEN":
      return { status: 409, errorCode: "Conflict" };
    case "AUTH_MISSING":
    case "AUTH_INVALID":
      return { status: 401, errorCode: "Unauthorized", message: "Not Authenticated" };
    case "AUTH_FORBIDDEN":
      return { status: 403, errorCode: "Forbidden", message: "Invalid Role" };
    case "AUTH_LOGIN_FAILED":
      return { status: 401, errorCode: "Unauthorized", message: "Invalid UserName or Password" };
    case "AUTH_ACCOUNT_LOCKED":
      return { status: 401, errorCode: "Unauthorized", message: "This account has been locked" };
    case "BATCH_ROLLED_BACK":
    case "BATCH_REJECTED":
      return { status: 400, errorCode: "ValidationException" };
    case "INTERNAL":
      return { status: 500, errorCode: "Exception", message: "Internal error" };
    case "CONTACT_FIELD_TOO_LONG":
      return { status: 400, errorCode: "Length" };
    case "CONTACT_EMAIL_INVALID":
      return { status: 400, errorCode: "Email" };
    case "CONTACT_FIELD_INVALID":
    case "CONTACT_DATE_INVALID":
      return { status: 400, errorCode: "InvalidFormat" };
    case "CONTACT_FIELD_OUT_OF_RANGE":
      return { status: 400, errorCode: "GreaterThan" };
    case "CONTACT_REFERENCE_UNKNOWN":
    case "CONTACT_REFERENCE_INACTIVE":
    case "CONTACT_IDENTIFIER_TAKEN":
    case "CONTACT_ID_UNKNOWN":
      return { status: 400, errorCode: "Predicate" };
    default: {
      const unhandled: never = code;
      return unhandled;
    }
  }
}

/** One field problem as ServiceStack's `ResponseError`. */
export function responseError(error: FieldError): ResponseError {
  return {
    errorCode: serviceStackRendering(error.code).errorCode,
    fieldName: error.field ?? "",
    message: error.message,
  };
}

/**
 * A classified error as `{responseStatus}`: with field errors it is a validation failure (400, errorCode and
 * message copied from the first one, as ServiceStack's ValidationFeature does); otherwise the code's own.
 */
export function toResponseStatus(
  classified: ClassifiedError,
  stackTrace?: string,
): { status: number; body: { responseStatus: ResponseStatus } } {
  const rendering = serviceStackRendering(classified.code);
  const errors = classified.details.map(responseError);
  const first = errors[0];
  const isValidation = first !== undefined && [400, 404, 409, 422].includes(rendering.status);
  const responseStatus: ResponseStatus = {
    errorCode: isValidation ? first.errorCode : rendering.errorCode,
    message: isValidation
      ? first.message
      : classified.message === errorCatalog[classified.code].message
        ? (rendering.message ?? classified.message)
        : classified.message,
    errors,
  };
  if (stackTrace !== undefined) responseStatus.stackTrace = stackTrace;
  return { status: isValidation ? 400 : rendering.status, body: { responseStatus } };
}

/** The dialect's error handler: ResponseStatus in the request's format; a stack trace only in debug mode. */
export function serviceStackErrorHandler(debugMode: boolean) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const classified = classifyError(error);
    if (classified.status >= 500) request.log.error({ err: error }, "request failed");
    else request.log.info({ code: classified.code }, classified.message);
    const { status, body } = toResponseStatus(
      classified,
      debugMode && error instanceof Error ? String(error.stack) : undefined,
    );
    return sendWire(request, reply, status, body);
  };
}
