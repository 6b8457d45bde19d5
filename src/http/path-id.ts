import type { FastifyRequest } from "fastify";
import Type from "typebox";
import { type ErrorCode, TributaryError } from "../core/errors.js";

/**
 * A path's `:id`: any positive integer. No maximum, so an id past every stored one (past bigint, even) is
 * an unknown row, answered 404 by `pathId`, not a malformed request: ids are bigint, read as JavaScript
 * numbers, so none is beyond Number.MAX_SAFE_INTEGER.
 */
export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/**
 * The row id a request's path names, or the route's not-found error (`No contact 99999999999999999999`)
 * for one no row can have; the id is never sent to the database, where past bigint it is a data error.
 */
export function pathId(request: FastifyRequest, notFound: ErrorCode, noun: string): number {
  const { id } = request.params as { id: number };
  if (Number.isSafeInteger(id)) return id;
  throw new TributaryError(notFound, `No ${noun} ${writtenId(request, id)}`);
}

/** The id as the path wrote it: the schema's coercion reads 99999999999999999999 as 1e20. */
function writtenId(request: FastifyRequest, id: number): string {
  const segments = request.url.split("?")[0].split("/");
  const written = segments.find((segment) => /^[0-9]+$/.test(segment) && Number(segment) === id);
  return written ?? String(id);
}
