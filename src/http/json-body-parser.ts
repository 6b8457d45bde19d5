import type { FastifyInstance, FastifyRequest } from "fastify";
import secureJson from "secure-json-parse";
import { TributaryError } from "../core/errors.js";
import { findJsonErrorPosition } from "../formats/json-error-position.js";

// Keys that become prototype writes once a body is merged with Object.assign or spread anywhere later.
const forbiddenKeys: ReadonlySet<string> = new Set(["__proto__", "constructor"]);
// JSON.parse decodes \u escapes in keys, so a forbidden key's text either names it or uses an escape;
// bodies with neither (nearly all) skip the walk.
const maybeForbidden = /constructor|__proto__|\\u/;

/**
 * Parses a JSON body, naming the position of a syntax error (Fastify's own parser hides it) and
 * refusing `__proto__` and `constructor` keys at any depth instead of silently dropping them.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "")
    throw new TributaryError("REQUEST_JSON_INVALID", "The body is empty; a JSON document was expected");
  let value: unknown;
  try {
    value = secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" });
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
  // secure-json-parse lets a bare `constructor` key through; it is refused like the others.
  const path = maybeForbidden.test(text) ? forbiddenKeyPath(value) : undefined;
  if (path !== undefined) {
    throw new TributaryError("REQUEST_FORBIDDEN_KEY", `The body has a forbidden key at ${path}`, [
      {
        code: "REQUEST_FORBIDDEN_KEY",
        field: path,
        message: "__proto__ and constructor are not allowed as keys",
      },
    ]);
  }
  return value;
}

/** The path (`inputs[0].identifiers.constructor`) of the first forbidden key in a parsed body, if any. */
export function forbiddenKeyPath(root: unknown): string | undefined {
  // An explicit stack, not recursion: a body nested 100,000 deep must be refused, never overflow the stack.
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: "" }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: string };
    if (value === null || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}[${i}]` });
      continue;
    }
    const keys = Object.keys(value);
    for (const key of keys) {
      if (forbiddenKeys.has(key)) return path ? `${path}.${key}` : key;
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i];
      stack.push({ value: (value as Record<string, unknown>)[key], path: path ? `${path}.${key}` : key });
    }
  }
  return undefined;
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
