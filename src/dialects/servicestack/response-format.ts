import type { FastifyReply, FastifyRequest } from "fastify";
import { stringifyJsv } from "../../formats/jsv/index.js";
import { acceptedMediaTypes } from "../../http/accepted-media-types.js";

/** The two formats this service speaks. */
export type WireFormat = "json" | "jsv";

const contentTypes = { json: "application/json; charset=utf-8", jsv: "text/jsv; charset=utf-8" } as const;

/** The format the path itself asks for: a `.json`/`.jsv` suffix or the `/json/…`, `/jsv/…` routes. */
export function pathFormat(url: string): WireFormat | undefined {
  const path = url.split("?")[0].toLowerCase().replace(/\/+$/, "");
  if (path.endsWith(".jsv") || path.startsWith("/jsv/")) return "jsv";
  if (path.endsWith(".json") || path.startsWith("/json/")) return "json";
  return undefined;
}

/** A path without its `.json`/`.jsv` suffix. */
export function withoutFormatSuffix(segment: string): string {
  return segment.replace(/\.(json|jsv)$/i, "");
}

function queryFormat(request: FastifyRequest): WireFormat | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(query)) {
    if (key.toLowerCase() !== "format" || typeof value !== "string") continue;
    const format = value.trim().toLowerCase();
    if (format === "json" || format === "jsv") return format;
  }
  return undefined;
}

function acceptFormat(accept: string | undefined): { format: WireFormat; mediaType?: string } | undefined {
  for (const type of acceptedMediaTypes(accept)) {
    if (type === "text/jsv" || type === "application/jsv") return { format: "jsv", mediaType: type };
    if (type === "application/json" || type === "text/json" || type === "*/*" || type === "application/*")
      return { format: "json" };
  }
  return undefined;
}

/**
 * The answer's format in ServiceStack's order: path suffix or `/json/` `/jsv/` route, then `?format=`,
 * then `Accept`, then JSON. Also the Content-Type to answer with (`application/jsv` only when asked for).
 */
export function negotiate(request: FastifyRequest): { format: WireFormat; contentType: string } {
  const chosen = pathFormat(request.url) ?? queryFormat(request);
  if (chosen) return { format: chosen, contentType: contentTypes[chosen] };
  const accepted = acceptFormat(request.headers.accept);
  if (accepted?.mediaType === "application/jsv")
    return { format: "jsv", contentType: "application/jsv; charset=utf-8" };
  const format = accepted?.format ?? "json";
  return { format, contentType: contentTypes[format] };
}

/** Sends a DTO in the request's format (nulls omitted in both, as ServiceStack writes them). */
export function sendWire(request: FastifyRequest, reply: FastifyReply, status: number, body: unknown) {
  const { format, contentType } = negotiate(request);
  const text =
    format === "jsv" ? stringifyJsv(body) : JSON.stringify(body, (_k, v) => (v === null ? undefined : v));
  return reply.status(status).header("content-type", contentType).send(text);
}
