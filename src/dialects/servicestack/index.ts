import type { FastifyInstance } from "fastify";
import type { Config } from "../../config.js";
import { TributaryError } from "../../core/errors.js";
import type { Store } from "../../store/database.js";
import { authRoutes } from "./auth.js";
import { registerBodyParsers } from "./body-parsers.js";
import { serviceStackErrorHandler } from "./errors.js";
import { upsertRoutes } from "./routes.js";

export interface ServiceStackDialectOptions {
  store: Store;
  config: Config;
  /** ServiceStack's DebugMode: error answers carry a stackTrace. Defaults to LOG_LEVEL debug or trace. */
  debugMode?: boolean;
}

/**
 * The ServiceStack service of page 000 at its own paths (`/DynamicsCRM/…`, `/json/reply/…`, `/jsv/reply/…`,
 * `/api/<Dto>`, `/auth…`). Encapsulated, so JSV, its form parser and ResponseStatus errors stay on these routes.
 */
export async function serviceStackDialect(app: FastifyInstance, options: ServiceStackDialectOptions) {
  const debugMode = options.debugMode ?? ["debug", "trace"].includes(options.config.logLevel);
  registerBodyParsers(app);
  app.setErrorHandler(serviceStackErrorHandler(debugMode));
  await app.register(authRoutes, { store: options.store });
  await app.register(upsertRoutes, { store: options.store, bodyLimit: options.config.serviceStackBodyLimit });
  // Any other DTO at the predefined routes is ServiceStack's 404, in its own shape rather than the native one.
  for (const url of ["/json/reply/:operation", "/jsv/reply/:operation"])
    app.all(url, async (request) => {
      const { operation } = request.params as { operation: string };
      throw new TributaryError(
        "REQUEST_NOT_FOUND",
        `The operation '${operation}' does not exist for this service`,
      );
    });
}
