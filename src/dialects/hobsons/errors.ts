// Tributary's error values in ASP.NET Web API's wire shapes, the ones a Hobsons Connect client parses:
// `{"Message": "The request is invalid.", "ModelState": {"contacts[3].EmailAddress": ["…"]}}` for invalid
// input, `{"Message": "…"}` for everything else. See docs/dialects/hobsons.md ("Errors").
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { type ErrorCode, type FieldError, TributaryError } from "../../core/errors.js";
import { classifyError } from "../../http/classify-error.js";
import { bodyParameter } from "./read-contact-dtos.js";

/** What ASP.NET answers for an invalid model. */
export const invalidRequestMessage = "The request is invalid.";
/** What ASP.NET's [Authorize] answers with 401 and 403. */
export const authorizationDeniedMessage = "Authorization has been denied for this request.";

/** The ModelState body: messages grouped by key, keys in the order their first error came. */
export function toModelState(errors: readonly FieldError[]) {
  const modelState: Record<string, string[]> = {};
  for (const error of errors) {
    const key = error.field ?? bodyParameter;
    if (!Object.hasOwn(modelState, key)) modelState[key] = [];
    modelState[key].push(error.message);
  }
  return { Message: invalidRequestMessage, ModelState: modelState };
}

/**
 * Rewrites an engine error (canonical words) in the ContactDto's words; `value` is the wire value at
 * its path. The switch names every code so that a new one fails to compile until it is decided here.
 */
export function hobsonsMessage(error: FieldError, wireField: string, value: unknown): string {
  const code: ErrorCode = error.code;
  const shown = typeof value === "string" ? `'${value}'` : String(value);
  switch (code) {
    case "CONTACT_REFERENCE_UNKNOWN":
      return `The ${wireField} ${shown} does not exist in this institution's reference data.`;
    case "CONTACT_REFERENCE_INACTIVE":
      return `The ${wireField} ${shown} is deactivated and cannot be used for new writes.`;
    case "CONTACT_IDENTIFIER_TAKEN": {
      const owner = /contact (\d+)$/.exec(error.message)?.[1];
      return `The ${wireField} ${shown} is already used by ${owner ? `contact ${owner}` : "another contact"}.`;
    }
    case "CONTACT_EMAIL_INVALID":
      return `The ${wireField} field is not a valid e-mail address.`;
    case "CONTACT_FIELD_TOO_LONG": {
      const limit = /at most (\d+)/.exec(error.message)?.[1];
      return limit
        ? `The field ${wireField} must be a string with a maximum length of ${limit}.`
        : error.message;
    }
    case "CONTACT_DATE_INVALID":
      return `The value ${shown} is not valid for ${wireField}.`;
    case "CONTACT_ID_UNKNOWN":
      // UpsertContact's CrmNumber: one given must name a contact (never a silent create).
      return `The ${wireField} ${shown} does not match any contact of this institution.`;
    case "CONTACT_FIELD_INVALID":
    case "CONTACT_FIELD_REQUIRED":
    case "CONTACT_FIELD_OUT_OF_RANGE":
    case "CONTACT_MATCH_KEY_MISSING":
    case "CONTACT_NOT_FOUND":
      // Raised by this dialect's own reader and hook in Hobsons words already, or not reachable on an insert.
      return error.message;
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
    case "AUTH_MISSING":
    case "AUTH_INVALID":
    case "AUTH_FORBIDDEN":
    case "AUTH_CREDENTIALS_MISSING":
    case "AUTH_LOGIN_FAILED":
    case "AUTH_ACCOUNT_LOCKED":
    case "REFERENCE_NOT_FOUND":
    case "REFERENCE_NAME_TAKEN":
    case "USER_NAME_TAKEN":
    case "BATCH_ROLLED_BACK":
    case "BATCH_REJECTED":
    case "INTERNAL":
      return error.message;
    default: {
      const unhandled: never = code;
      return unhandled;
    }
  }
}

/** The body and status one classified error is answered with. */
export function hobsonsErrorBody(error: unknown): { status: number; body: unknown } {
  const classified = classifyError(error);
  switch (classified.code) {
    case "AUTH_MISSING":
    case "AUTH_INVALID":
    case "AUTH_FORBIDDEN":
      return { status: classified.status, body: { Message: authorizationDeniedMessage } };
    case "REQUEST_JSON_INVALID":
    case "REQUEST_FORBIDDEN_KEY":
    case "REQUEST_BODY_INVALID":
    case "REQUEST_UNKNOWN_FIELD":
    case "REQUEST_TOO_MANY_RECORDS":
    case "REQUEST_EMPTY_BATCH":
    case "BATCH_REJECTED": {
      // Json.NET's reading errors land in ModelState under the body parameter, like any invalid model.
      const details =
        classified.details.length > 0
          ? classified.details
          : [{ code: classified.code, field: bodyParameter, message: classified.message }];
      return { status: 400, body: toModelState(details) };
    }
    case "REQUEST_UNSUPPORTED_MEDIA_TYPE":
      return {
        status: 415,
        body: {
          Message: `The request entity's media type is not supported for this resource. ${classified.message}`,
        },
      };
    default:
      return {
        status: classified.status,
        body: { Message: classified.status >= 500 ? "An error has occurred." : classified.message },
      };
  }
}

/** Fastify error handler of the Hobsons routes: never a stack trace, never another dialect's shape. */
export function hobsonsErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const { status, body } = hobsonsErrorBody(error);
  if (status >= 500) request.log.error({ err: error }, "request failed");
  else request.log.info({ status }, error instanceof TributaryError ? error.code : error.message);
  if (status === 401) reply.header("www-authenticate", "Bearer");
  return reply.status(status).send(body);
}
