import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { hobsonsDialect } from "../dialects/hobsons/index.js";
import { nativeErrorBody, nativeErrorHandler } from "../dialects/native/errors.js";
import { nativeDialect } from "../dialects/native/index.js";
import { samDialect } from "../dialects/sam/index.js";
import { serviceStackDialect } from "../dialects/servicestack/index.js";
import { latestSchemaVersion, type Store } from "../store/database.js";
import { registerJsonBodyParser } from "./json-body-parser.js";
import { validatorCompiler } from "./validator-compiler.js";

export interface AppOptions {
  store: Store;
  config: Config;
  logger?: Logger;
}

/** The HTTP server: health, OpenAPI docs, the native API and every vendor dialect. */
export async function buildApp({ store, config, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger | undefined,
    bodyLimit: config.bodyLimit,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    return503OnClosing: true,
    // Vendor clients send paths in their own case (ServiceStack: /json/reply/Dto); routes match exactly otherwise.
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false },
    // The router's own refusals (a path segment that is not valid percent-encoding, or over 100
    // characters) come in Tributary's error shape, not Fastify's, and do not echo a whole long path back.
    frameworkErrors: (error, request, reply) => {
      const path = request.url.split("?")[0];
      const shown = path.length > 120 ? `${path.slice(0, 120)}…` : path;
      const message =
        error.code === "FST_ERR_MAX_PARAM_LENGTH"
          ? `A segment of the path ${shown} is longer than 100 characters`
          : `The path ${shown} is not valid percent-encoding`;
      void (reply as FastifyReply).status(400).send(nativeErrorBody("REQUEST_BODY_INVALID", message));
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  registerJsonBodyParser(app);
  app.setErrorHandler(nativeErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(nativeErrorBody("REQUEST_NOT_FOUND", `No route ${request.method} ${request.url.split("?")[0]}`)),
  );

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Tributary native API",
        version: "1",
        description: "Contact ingestion: batch upsert, reads, reference data.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    // Only the native API is described here; the vendor dialects follow their vendors' own references.
    transform: ({ schema, url }) => ({
      schema: url.startsWith("/api/v1") ? schema : { ...schema, hide: true },
      url,
    }),
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/api/v1/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.get("/health", { schema: { hide: true } }, async () => {
    await store.executeSql("select 1");
    return { status: "ok", engine: store.engine, schemaVersion: latestSchemaVersion };
  });

  await app.register(nativeDialect, { prefix: "/api/v1", store });
  await app.register(hobsonsDialect, { store });
  await app.register(samDialect, { prefix: "/rest", store, config });
  await app.register(serviceStackDialect, { store, config });
  return app;
}
