import type { FastifyInstance } from "fastify";
import Type from "typebox";
import { TributaryError } from "../../core/errors.js";
import { principalOf } from "../../http/principal.js";
import { requireToken } from "../../http/require-token.js";
import { issueTenantToken, listTenantTokens, revokeToken } from "../../store/api-tokens.js";
import type { Store } from "../../store/database.js";

const maxExpiryDays = 3650;

const TokenBodySchema = Type.Object(
  {
    roles: Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: "^\\S+$" }), {
      minItems: 1,
      maxItems: 20,
      description: "role names, e.g. contacts:write, REGISUserRole, HobsonsApiUser",
    }),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "the user it acts for" })),
    expiresInDays: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: maxExpiryDays })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

/**
 * The tenant's API tokens under /api/v1/tokens (role `admin`): create (the token is in this one answer),
 * list (never a secret or its hash), revoke. What `tributary token` does on the engine, over HTTP, so
 * tokens change while the server runs, which the embedded engine's one-process data folder otherwise forbids.
 */
export async function tokenRoutes(app: FastifyInstance, { store }: { store: Store }) {
  app.addHook("onRequest", requireToken(store, []));

  app.post(
    "/",
    {
      schema: {
        tags: ["tokens"],
        summary: "Create an API token (admin); the token is shown once",
        body: TokenBodySchema,
      },
    },
    async (request, reply) => {
      const body = request.body as { roles: string[]; user?: string; expiresInDays?: number };
      const { id, token, roles, expiresAt } = await issueTenantToken(
        store.db,
        principalOf(request).tenantId,
        {
          roles: body.roles,
          username: body.user,
          expiresInDays: body.expiresInDays,
        },
      );
      return reply.status(201).send({
        id,
        token,
        kind: "api",
        roles,
        user: body.user ?? null,
        expiresAt: expiresAt?.toISOString() ?? null,
      });
    },
  );

  app.get(
    "/",
    { schema: { tags: ["tokens"], summary: "The tenant's tokens (admin), oldest first, without secrets" } },
    async (request) => {
      const tokens = await listTenantTokens(store.db, principalOf(request).tenantId);
      return {
        data: tokens.map((t) => ({
          ...t,
          createdAt: t.createdAt.toISOString(),
          expiresAt: t.expiresAt?.toISOString() ?? null,
          lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
          revokedAt: t.revokedAt?.toISOString() ?? null,
        })),
      };
    },
  );

  app.delete(
    "/:id",
    { schema: { tags: ["tokens"], summary: "Revoke a token (admin)", params: IdParams } },
    async (request) => {
      const { tenantId } = principalOf(request);
      const { id } = request.params as { id: number };
      // Another tenant's token id, an unknown one and a revoked one all answer the same 404.
      if (!(await revokeToken(store.db, id, tenantId)))
        throw new TributaryError("REQUEST_NOT_FOUND", `No live token ${id}`);
      return { id, state: "revoked" as const };
    },
  );
}
