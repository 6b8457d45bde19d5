import type { FastifyInstance } from "fastify";
import Type from "typebox";
import { hashPassword } from "../../auth/password-hash.js";
import { principalOf } from "../../http/principal.js";
import { requireToken } from "../../http/require-token.js";
import type { Store } from "../../store/database.js";
import { addTenantUser } from "../../store/users.js";

const UserBodySchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 320, pattern: "^[^\\s@]+@[^\\s@]+$" })),
    roles: Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: "^\\S+$" }), {
      minItems: 1,
      maxItems: 20,
      description: "role names, e.g. admin, contacts:write, REGISUserRole",
    }),
    password: Type.Optional(
      Type.String({ minLength: 8, maxLength: 1024, description: "stored only as an scrypt hash" }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The tenant's users under /api/v1/users (role `admin`): the accounts the vendor dialects' logins use
 * (ServiceStack's Authenticate, Hobsons' api/token, SAM's loginUser). Create and list; a password is
 * stored only as a hash and never answered.
 */
export async function userRoutes(app: FastifyInstance, { store }: { store: Store }) {
  app.addHook("onRequest", requireToken(store, []));

  app.post(
    "/",
    { schema: { tags: ["users"], summary: "Create a user of the tenant (admin)", body: UserBodySchema } },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const body = request.body as { username: string; email?: string; roles: string[]; password?: string };
      const user = await addTenantUser(store.db, tenantId, {
        username: body.username,
        email: body.email,
        passwordHash: body.password === undefined ? null : await hashPassword(body.password),
        roles: body.roles,
      });
      return reply.status(201).send({
        id: user.id,
        username: user.username,
        email: user.email,
        roles: user.roles,
        hasPassword: body.password !== undefined,
      });
    },
  );

  app.get(
    "/",
    { schema: { tags: ["users"], summary: "The tenant's users (admin), oldest first, without passwords" } },
    async (request) => {
      const rows = await store.db
        .selectFrom("users")
        .select(["id", "username", "email", "roles", "disabled", "passwordHash", "createdAt"])
        .where("tenantId", "=", principalOf(request).tenantId)
        .orderBy("id")
        .execute();
      return {
        data: rows.map((r) => ({
          id: Number(r.id),
          username: r.username,
          email: r.email,
          roles: r.roles,
          hasPassword: r.passwordHash !== null,
          disabled: r.disabled,
          createdAt: r.createdAt.toISOString(),
        })),
      };
    },
  );
}
