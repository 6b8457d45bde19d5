import type { FastifyInstance, FastifyRequest } from "fastify";
import { TributaryError } from "../../core/errors.js";
import { JsvSyntaxError, parseJsv } from "../../formats/jsv/index.js";

/** Parses a JSV body; a syntax error is the client's, named with its position. */
export function parseJsvBody(text: string): unknown {
  try {
    return parseJsv(text);
  } catch (error) {
    if (error instanceof JsvSyntaxError)
      throw new TributaryError("REQUEST_BODY_INVALID", `The body is not valid JSV: ${error.message}`);
    throw error;
  }
}

/** A form body as its fields (the last of a repeated name wins, as ServiceStack binds it). */
export function parseFormBody(text: string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(text)) fields[name] = value;
  return { ...fields };
}

/**
 * The body formats ServiceStack services accept besides JSON (the server's parser): JSV as `text/jsv`
 * or `application/jsv`, and forms. Registered on the dialect's own scope only.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  const parse =
    (read: (text: string) => unknown) =>
    (_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void) => {
      try {
        done(null, read(body.toString()));
      } catch (error) {
        done(error as Error, undefined);
      }
    };
  for (const type of ["text/jsv", "application/jsv"])
    app.addContentTypeParser(type, { parseAs: "string" }, parse(parseJsvBody));
  if (app.hasContentTypeParser("application/x-www-form-urlencoded"))
    app.removeContentTypeParser("application/x-www-form-urlencoded");
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, parse(parseFormBody));
}
