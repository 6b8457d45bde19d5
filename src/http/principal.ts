import type { FastifyRequest } from "fastify";
import type { TokenPrincipal } from "../store/api-tokens.js";

declare module "fastify" {
  interface FastifyRequest {
    principal?: TokenPrincipal;
  }
}

/** The authenticated caller of a request whose route required authentication. */
export function principalOf(request: FastifyRequest): TokenPrincipal {
  if (!request.principal) throw new Error("route reached without authentication");
  return request.principal;
}

/** The actor name history rows record for a caller. */
export function actorOf(principal: TokenPrincipal): string {
  return principal.userId !== null ? `user:${principal.userId}` : `token:${principal.tokenId}`;
}

/** Whether a caller holds one of the roles (admin holds every role). */
export function hasRole(principal: TokenPrincipal, roles: readonly string[]): boolean {
  return principal.roles.includes("admin") || roles.some((r) => principal.roles.includes(r));
}
