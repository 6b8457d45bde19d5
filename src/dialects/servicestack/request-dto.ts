import type { FastifyRequest } from "fastify";
import { TributaryError } from "../../core/errors.js";
import { caseInsensitive } from "./mapping.js";

/**
 * A request DTO's properties, keys lower-cased: the query string first, then the body (JSON, JSV or
 * form) over it, as ServiceStack populates a DTO from every part of the request.
 */
export function requestDto(request: FastifyRequest, dtoName: string): Map<string, unknown> {
  const body = request.body;
  if (body !== undefined && body !== null && body !== "" && (typeof body !== "object" || Array.isArray(body)))
    throw new TributaryError("REQUEST_BODY_INVALID", `The body is not a ${dtoName} object`);
  const query = (request.query ?? {}) as Record<string, unknown>;
  return new Map([
    ...caseInsensitive(query),
    ...caseInsensitive((body as Record<string, unknown> | null | undefined) ?? {}),
  ]);
}
