import type { FastifyError } from "fastify";
import { type ErrorCode, errorCatalog, type FieldError, TributaryError } from "../core/errors.js";

export interface ClassifiedError {
  code: ErrorCode;
  status: number;
  message: string;
  details: FieldError[];
}

interface AjvIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/inputs/3/email` → `inputs[3].email` */
export function jsonPointerToPath(pointer: string, extra?: string): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce(
    (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
    "",
  );
}

/**
 * Turns anything a route or Fastify threw into one of Tributary's error codes, so each dialect only
 * renders. Unknown errors become INTERNAL with a message that reveals nothing.
 */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof TributaryError)
    return { code: error.code, status: error.status, message: error.message, details: error.details };
  const e = error as FastifyError & { validation?: AjvIssue[]; body?: unknown };
  if (Array.isArray(e.validation)) {
    const details = mergeAlternatives(e.validation).map((issue) => validationDetail(issue));
    const unknownField = details.find((d) => d.code === "REQUEST_UNKNOWN_FIELD");
    const code: ErrorCode = unknownField ? "REQUEST_UNKNOWN_FIELD" : "REQUEST_BODY_INVALID";
    const message = details.map((d) => (d.field ? `${d.field}: ${d.message}` : d.message)).join("; ");
    return { code, status: 400, message, details };
  }
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return known("REQUEST_TOO_LARGE", e.message);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return known("REQUEST_UNSUPPORTED_MEDIA_TYPE", e.message);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return known("REQUEST_JSON_INVALID", "The body is empty; a JSON document was expected");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return known("REQUEST_JSON_INVALID", `The body is not valid JSON: ${e.message}`);
  }
  if (e instanceof SyntaxError || e.name === "SyntaxError") {
    if (/prototype|constructor/i.test(e.message) && !/JSON at position/i.test(e.message))
      return known("REQUEST_FORBIDDEN_KEY", e.message);
    return known("REQUEST_JSON_INVALID", `The body is not valid JSON: ${e.message}`);
  }
  // PostgreSQL's data exceptions (class 22: a NUL character in text, a number out of range, …) come from
  // values a client sent that got past validation: the client's error, never a 500.
  const sqlState = (error as { code?: unknown }).code;
  if (typeof sqlState === "string" && /^22[0-9A-Z]{3}$/.test(sqlState)) {
    return {
      code: "REQUEST_BODY_INVALID",
      status: 400,
      message: `A value cannot be stored: ${(error as Error).message}`,
      details: [],
    };
  }
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    if (/forbidden prototype property|constructor property/i.test(e.message))
      return known("REQUEST_FORBIDDEN_KEY", e.message);
    if (e.statusCode === 415) return known("REQUEST_UNSUPPORTED_MEDIA_TYPE", e.message);
    if (e.statusCode === 413) return known("REQUEST_TOO_LARGE", e.message);
    if (e.statusCode === 404) return known("REQUEST_NOT_FOUND", e.message);
    return { code: "REQUEST_BODY_INVALID", status: e.statusCode, message: e.message, details: [] };
  }
  return { code: "INTERNAL", status: 500, message: errorCatalog.INTERNAL.message, details: [] };
}

function known(code: ErrorCode, message: string): ClassifiedError {
  return { code, status: errorCatalog[code].status, message, details: [] };
}

// A nullable field is a union (anyOf) in the schema, and Ajv reports each failed branch and then the union:
// "must be string; must be null; must match a schema in anyOf". People need one sentence per field:
// "must be string or null", "must be \"allOrNone\" or \"partial\"", or the branch's own complaint
// ("must be >= 1") when the type was right.
function mergeAlternatives(issues: AjvIssue[]): AjvIssue[] {
  const unions = new Set(issues.filter((i) => i.keyword === "anyOf").map((i) => i.instancePath));
  if (unions.size === 0) return issues;
  const byPath = new Map<string, AjvIssue[]>();
  for (const issue of issues) {
    const here = byPath.get(issue.instancePath);
    if (here) here.push(issue);
    else byPath.set(issue.instancePath, [issue]);
  }
  const out: AjvIssue[] = [];
  for (const [path, here] of byPath) {
    if (!unions.has(path)) {
      out.push(...here);
      continue;
    }
    const specific = here.filter((i) => !["anyOf", "type", "const"].includes(i.keyword));
    if (specific.length > 0) {
      out.push(...specific);
      continue;
    }
    const alternatives = here.flatMap((i) =>
      i.keyword === "type"
        ? String(i.params.type).split(",")
        : i.keyword === "const"
          ? [JSON.stringify(i.params.allowedValue)]
          : [],
    );
    out.push({
      keyword: "type",
      instancePath: path,
      params: {},
      message: alternatives.length > 0 ? `must be ${[...new Set(alternatives)].join(" or ")}` : "is invalid",
    });
  }
  return out;
}

function validationDetail(issue: AjvIssue): FieldError {
  const base = issue.instancePath.replace(/^\/body/, "");
  if (issue.keyword === "additionalProperties") {
    const name = String(issue.params.additionalProperty);
    return {
      code: "REQUEST_UNKNOWN_FIELD",
      field: jsonPointerToPath(base, name),
      message: `Unknown field '${name}'`,
    };
  }
  if (issue.keyword === "required") {
    const name = String(issue.params.missingProperty);
    return {
      code: "REQUEST_BODY_INVALID",
      field: jsonPointerToPath(base, name),
      message: `${name} is required`,
    };
  }
  // Ajv's own words for these name no value ("must be equal to constant"): say which one is allowed.
  const message =
    issue.keyword === "const"
      ? `must be ${JSON.stringify(issue.params.allowedValue)}`
      : issue.keyword === "enum" && Array.isArray(issue.params.allowedValues)
        ? `must be ${issue.params.allowedValues.map((v: unknown) => JSON.stringify(v)).join(" or ")}`
        : (issue.message ?? "is invalid");
  return { code: "REQUEST_BODY_INVALID", field: jsonPointerToPath(base) || undefined, message };
}
