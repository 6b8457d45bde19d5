import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { FieldError } from "../../core/errors.js";
import { classifyError } from "../../http/classify-error.js";

/** The native wire's error body: `{ error: { code, message, details? } }`. */
export function nativeErrorBody(code: string, message: string, details: FieldError[] = []) {
  return { error: details.length > 0 ? { code, message, details } : { code, message } };
}

/** Fastify error handler for the native API (and the server's default). */
export function nativeErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const classified = classifyError(error);
  if (classified.status >= 500) request.log.error({ err: error }, "request failed");
  else request.log.info({ code: classified.code }, classified.message);
  return reply
    .status(classified.status)
    .send(nativeErrorBody(classified.code, classified.message, classified.details));
}
