import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import type { Config } from "../../config.js";
import type { Store } from "../../store/database.js";
import { samErrorHandler } from "./errors.js";
import { samRoutes } from "./routes.js";

export interface SamDialectOptions {
  store: Store;
  config: Config;
  /** the clock (defaults to the system's); tests pass a fake one */
  now?: () => Date;
}

/**
 * NextInteract SAM's REST API (page 003), mounted under /rest: loginUser, logoutUser and
 * upsertContacts. Encapsulated, so its form parser and its error shape stay on its own routes.
 */
export async function samDialect(app: FastifyInstance, options: SamDialectOptions) {
  // loginUser version 1 sends form parameters; version 2 and the upsert send JSON (the server's parser).
  if (!app.hasContentTypeParser("application/x-www-form-urlencoded")) await app.register(formbody);
  app.setErrorHandler(samErrorHandler);
  await app.register(samRoutes, {
    store: options.store,
    config: options.config,
    now: options.now ?? (() => new Date()),
  });
}
