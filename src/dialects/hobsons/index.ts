import type { FastifyInstance } from "fastify";
import { registerJsonBodyParser } from "../../http/json-body-parser.js";
import type { Store } from "../../store/database.js";
import { hobsonsErrorHandler } from "./errors.js";
import { hobsonsRoutes, hobsonsTokenRoutes } from "./routes.js";

/**
 * Hobsons Connect's API (`api/token`, `api/bulk/contacts`, `api/contacts`, reference lists), mounted
 * at the root because its paths start with /api. Registered without fastify-plugin, so its error
 * handler and body parsers apply to its own routes only, never to /api/v1.
 */
export async function hobsonsDialect(app: FastifyInstance, options: { store: Store }) {
  app.setErrorHandler(hobsonsErrorHandler);
  // ASP.NET Web API reads text/json as JSON too (the page lists both request formats).
  registerJsonBodyParser(app, ["application/json", "text/json", /^application\/[\w.+-]+\+json$/]);
  // …and answers 415 for any other media type, text/plain included.
  app.removeContentTypeParser("text/plain");
  await app.register(hobsonsTokenRoutes, { store: options.store });
  await app.register(hobsonsRoutes, { store: options.store });
}
