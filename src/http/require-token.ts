import type { FastifyRequest } from "fastify";
import { TributaryError } from "../core/errors.js";
import { authenticateToken } from "../store/api-tokens.js";
import type { Store } from "../store/database.js";
import { bearerToken } from "./bearer-token.js";
import { hasRole } from "./principal.js";

/** A request hook (onRequest, or preHandler) that admits a Bearer token holding one of the roles (admin always passes). */
export function requireToken(store: Store, roles: readonly string[]) {
  return async (request: FastifyRequest) => {
    const token = bearerToken(request);
    if (!token) throw new TributaryError("AUTH_MISSING", "Send Authorization: Bearer <token>");
    const principal = await authenticateToken(store.db, token);
    if (!principal) throw new TributaryError("AUTH_INVALID");
    if (!hasRole(principal, roles))
      throw new TributaryError(
        "AUTH_FORBIDDEN",
        `This operation needs one of the roles: ${["admin", ...roles].join(", ")}`,
      );
    request.principal = principal;
  };
}
