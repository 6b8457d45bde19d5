import type { FastifyInstance, FastifyRequest } from "fastify";
import secureJson from "secure-json-parse";
import { TributaryError } from "../core/errors.js";
import { findJsonErrorPosition } from "../formats/json-error-position.js";

/**
 * Parses a JSON body, naming the position of a syntax error (Fastify's own parser hides it) and
 * refusing `__proto__` and `constructor.prototype` keys instead of silently dropping them.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "")
    throw new TributaryError("REQUEST_JSON_INVALID", "The body is empty; a JSON document was expected");
  try {
    return secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" });
  } catch (error) {
    const message = (error as Error).message;
    if (/forbidden prototype property|constructor property/i.test(message)) {
      throw new TributaryError(
        "REQUEST_FORBIDDEN_KEY",
        "The body has a forbidden key (__proto__ or constructor.prototype)",
      );
    }
    throw new TributaryError(
      "REQUEST_JSON_INVALID",
      `The body is not valid JSON: ${describePosition(text, message)}`,
    );
  }
}

// V8 names the bad token but not always where it is; people need the position, line and column.
function describePosition(text: string, message: string): string {
  const position = findJsonErrorPosition(text);
  if (position < 0) return message;
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  const found = position >= text.length ? "end of input" : `'${text[position]}'`;
  return `unexpected ${found} at position ${position} (line ${line}, column ${column})`;
}

/** Installs the JSON parser for application/json and the `+json` family on one Fastify scope. */
export function registerJsonBodyParser(
  app: FastifyInstance,
  contentTypes: Array<string | RegExp> = ["application/json", /^application\/[\w.+-]+\+json$/],
): void {
  // Idempotent per scope: a child scope (a dialect) may install it again for its own content types.
  for (const contentType of ["application/json", ...contentTypes]) {
    if (app.hasContentTypeParser(contentType)) app.removeContentTypeParser(contentType);
  }
  for (const contentType of contentTypes) {
    app.addContentTypeParser(
      contentType,
      { parseAs: "string" },
      (_request: FastifyRequest, body: string | Buffer, done) => {
        try {
          done(null, parseJsonBody(body.toString()));
        } catch (error) {
          done(error as Error, undefined);
        }
      },
    );
  }
}
