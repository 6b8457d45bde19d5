import type { FastifyInstance } from "fastify";
import Type from "typebox";
import { type ContactCollection, contactCollections } from "../../core/contact.js";
import type { ReferenceKind } from "../../core/contact-fields.js";
import { fieldError, TributaryError } from "../../core/errors.js";
import { requireIdProperty } from "../../core/match-key.js";
import { registerIdempotency } from "../../http/idempotency.js";
import { IdParams, pathId } from "../../http/path-id.js";
import { actorOf, principalOf } from "../../http/principal.js";
import { requireToken } from "../../http/require-token.js";
import {
  getContact,
  getContactChildren,
  getContacts,
  getContactsChildren,
  getStatusHistory,
  searchContactIds,
} from "../../store/contacts/read-contacts.js";
import { upsertContacts } from "../../store/contacts/upsert-contacts.js";
import type { Store } from "../../store/database.js";
import {
  addReferenceItem,
  listReferenceItems,
  referenceKinds,
  updateReferenceItem,
} from "../../store/reference-items.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { importRoutes } from "./import-routes.js";
import { fromCanonical, historyToWire, toCanonical } from "./mapping.js";
import { contactPhotoRoute } from "./photo-route.js";
import { tokenRoutes } from "./token-routes.js";
import { userRoutes } from "./user-routes.js";
import {
  BatchUpsertBodySchema,
  BatchUpsertResponseSchema,
  ErrorBodySchema,
  maxBatchInputs,
} from "./wire-schemas.js";

const readRoles = ["contacts:read", "contacts:write"];
const writeRoles = ["contacts:write"];

const errorResponses = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  422: Type.Unknown(),
};

/** The native API under /api/v1: batch upsert, contact reads and reference data. */
export async function nativeRoutes(app: FastifyInstance, { store }: { store: Store }) {
  const canRead = requireToken(store, readRoles);
  const canWrite = requireToken(store, writeRoles);
  const isAdmin = requireToken(store, []);
  app.register(contactPhotoRoute, { store, onRequest: canRead });
  app.register(importRoutes, { prefix: "/imports", store });
  app.register(tokenRoutes, { prefix: "/tokens", store });
  app.register(userRoutes, { prefix: "/users", store });

  app.register(async (writes) => {
    // Authentication runs on request, before the body is read or validated: a caller without a valid
    // token gets 401, never a 400 about a body it had no right to send, and costs no parsing.
    writes.addHook("onRequest", canWrite);
    registerIdempotency(writes, store);

    writes.post(
      "/contacts/batch/upsert",
      {
        schema: {
          tags: ["contacts"],
          summary: "Create or update up to 1,000 contacts in one transaction",
          body: BatchUpsertBodySchema,
          response: { 200: BatchUpsertResponseSchema, 207: BatchUpsertResponseSchema, ...errorResponses },
        },
        // Count before Ajv walks every input: a 100,000-input body should be refused cheaply and clearly.
        preValidation: async (request) => {
          const inputs = (request.body as { inputs?: unknown } | null)?.inputs;
          if (Array.isArray(inputs) && inputs.length > maxBatchInputs) {
            throw new TributaryError(
              "REQUEST_TOO_MANY_RECORDS",
              `inputs has ${inputs.length} items; at most ${maxBatchInputs} are allowed per batch`,
            );
          }
          if (Array.isArray(inputs) && inputs.length === 0)
            throw new TributaryError("REQUEST_EMPTY_BATCH", "inputs is empty");
        },
      },
      async (request, reply) => {
        const body = request.body as {
          idProperty: string;
          mode?: "allOrNone" | "partial";
          inputs: Record<string, unknown>[];
        };
        const idProperty = requireIdProperty(body.idProperty);
        const principal = principalOf(request);
        const mode = body.mode ?? "allOrNone";
        const outcome = await upsertContacts(store.db, body.inputs.map(toCanonical), {
          tenantId: principal.tenantId,
          idProperty,
          mode,
          actor: actorOf(principal),
          fieldPath: (index, field) => `inputs[${index}].${field}`,
        });
        const results = outcome.results.map((r) => ({
          ...r,
          status: r.status === "skipped" ? ("unchanged" as const) : r.status,
        }));
        const count = (s: string) => results.filter((r) => r.status === s).length;
        const summary = {
          created: count("created"),
          updated: count("updated"),
          unchanged: count("unchanged"),
          error: count("error"),
        };
        if (!outcome.committed) {
          const details = results.flatMap((r) => r.errors);
          return reply.status(422).send({
            error: {
              code: "BATCH_REJECTED",
              message: `${summary.error} of ${results.length} inputs are invalid; nothing was written`,
              details,
            },
            results: results.map((r) => ({
              index: r.index,
              status: "error",
              errors:
                r.errors.length > 0
                  ? r.errors
                  : [fieldError("BATCH_ROLLED_BACK", undefined, undefined, r.index)],
            })),
          });
        }
        if (summary.error > 0 && summary.error === results.length) {
          // A partial batch where every input failed wrote nothing either: the same error object as
          // allOrNone's refusal, so a client checks one shape for "nothing went in".
          return reply.status(422).send({
            error: {
              code: "BATCH_REJECTED",
              message: `${summary.error} of ${results.length} inputs are invalid; nothing was written`,
              details: results.flatMap((r) => r.errors),
            },
            results,
            summary,
          });
        }
        return reply.status(summary.error === 0 ? 200 : 207).send({ results, summary });
      },
    );

    writes.post(
      "/reference/:kind",
      {
        onRequest: isAdmin,
        schema: {
          tags: ["reference data"],
          summary: "Add a reference row (admin)",
          params: Type.Object({ kind: Type.String() }),
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 200 }),
              code: Type.Optional(Type.String({ maxLength: 20 })),
              parentId: Type.Optional(Type.Integer()),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const kind = referenceKindOf((request.params as { kind: string }).kind);
        const body = request.body as { name: string; code?: string; parentId?: number };
        const item = await addReferenceItem(store.db, principalOf(request).tenantId, { kind, ...body });
        return reply.status(201).send(item);
      },
    );
  });

  app.patch(
    "/reference/:kind/:id",
    {
      onRequest: isAdmin,
      schema: {
        tags: ["reference data"],
        summary: "Rename, (de)activate or recode a reference row (admin)",
        params: Type.Object({
          kind: Type.String(),
          id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
        }),
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            active: Type.Optional(Type.Boolean()),
            code: Type.Optional(Type.String({ maxLength: 20 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { kind, id } = request.params as { kind: string; id: number };
      return updateReferenceItem(
        store.db,
        principalOf(request).tenantId,
        id,
        request.body as { name?: string; active?: boolean },
        referenceKindOf(kind),
      );
    },
  );

  app.get(
    "/reference/:kind",
    {
      onRequest: canRead,
      schema: {
        tags: ["reference data"],
        summary: "List a kind of reference data",
        params: Type.Object({ kind: Type.String() }),
        querystring: Type.Object({ includeInactive: Type.Optional(Type.Boolean()) }),
      },
    },
    async (request) => {
      const kind = referenceKindOf((request.params as { kind: string }).kind);
      const { includeInactive } = request.query as { includeInactive?: boolean };
      return {
        data: await listReferenceItems(store.db, principalOf(request).tenantId, kind, { includeInactive }),
      };
    },
  );

  app.get(
    "/contacts/:id",
    {
      onRequest: canRead,
      schema: {
        tags: ["contacts"],
        summary: "One contact with identifiers and collections",
        params: IdParams,
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const id = pathId(request, "CONTACT_NOT_FOUND", "contact");
      const view = await getContact(store.db, tenantId, id);
      if (!view) throw new TributaryError("CONTACT_NOT_FOUND", `No contact ${id}`);
      return fromCanonical(view, await getContactChildren(store.db, tenantId, id));
    },
  );

  app.get(
    "/contacts/:id/history",
    {
      onRequest: canRead,
      schema: {
        tags: ["contacts"],
        summary: "Heat-status and contact-status history, oldest first",
        params: IdParams,
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const id = pathId(request, "CONTACT_NOT_FOUND", "contact");
      if (!(await getContact(store.db, tenantId, id)))
        throw new TributaryError("CONTACT_NOT_FOUND", `No contact ${id}`);
      return { data: (await getStatusHistory(store.db, tenantId, id)).map(historyToWire) };
    },
  );

  app.get(
    "/contacts",
    {
      onRequest: canRead,
      schema: {
        tags: ["contacts"],
        summary: "Search contacts by name, email or identifier; cursor paging in id order",
        querystring: Type.Object(
          {
            q: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 100 })),
            include: Type.Optional(
              Type.String({
                maxLength: 200,
                description: `Collections to add to each contact, comma-separated: ${contactCollections.join(", ")}, or all of them with \`all\` (as GET /contacts/{id} has them)`,
              }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const {
        q,
        limit = 50,
        cursor,
        include,
      } = request.query as {
        q?: string;
        limit?: number;
        cursor?: string;
        include?: string;
      };
      const collections = includedCollections(include);
      const afterId = cursor === undefined ? undefined : decodeCursor(cursor);
      const ids = await searchContactIds(store.db, tenantId, { q, limit: limit + 1, afterId });
      const page = ids.slice(0, limit);
      const views = await getContacts(store.db, tenantId, page);
      const children = await getContactsChildren(store.db, tenantId, page, collections);
      return {
        data: views.map((v) => fromCanonical(v, collections.length > 0 ? children.get(v.id) : undefined)),
        nextCursor: ids.length > limit ? encodeCursor(page[page.length - 1]) : null,
      };
    },
  );
}

const includeWords = new Set<string>(["all", ...contactCollections]);

/** The collections an `include` list names, in the wire's order; an unknown word is refused by name. */
function includedCollections(include: string | undefined): ContactCollection[] {
  if (include === undefined) return [];
  const words = new Set(include.split(",").map((w) => w.trim()));
  for (const word of words)
    if (!includeWords.has(word)) {
      const message = `include: '${word}' is not a collection (${[...includeWords].join(", ")})`;
      throw new TributaryError("REQUEST_BODY_INVALID", message, [
        fieldError("REQUEST_BODY_INVALID", "include", message),
      ]);
    }
  return contactCollections.filter((c) => words.has("all") || words.has(c));
}

function referenceKindOf(raw: string): ReferenceKind {
  // Singular or plural, hyphen or underscore: heat-status, heat_statuses, countries, …
  const snake = raw.toLowerCase().replace(/-/g, "_");
  const singular = snake.endsWith("status")
    ? snake
    : snake
        .replace(/statuses$/, "status")
        .replace(/ies$/, "y")
        .replace(/s$/, "");
  const kind = singular as ReferenceKind;
  if (!referenceKinds.includes(kind)) {
    throw new TributaryError(
      "REQUEST_NOT_FOUND",
      `Unknown reference kind '${raw}'; use one of ${referenceKinds.map((k) => k.replace(/_/g, "-")).join(", ")}`,
    );
  }
  return kind;
}
