import type { FastifyInstance } from "fastify";
import type { Store } from "../../store/database.js";
import { nativeErrorHandler } from "./errors.js";
import { nativeRoutes } from "./routes.js";

/** Tributary's own API, mounted under /api/v1. */
export async function nativeDialect(app: FastifyInstance, options: { store: Store }) {
  app.setErrorHandler(nativeErrorHandler);
  await app.register(nativeRoutes, { store: options.store });
}
