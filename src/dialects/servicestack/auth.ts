import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TributaryError } from "../../core/errors.js";
import { bearerToken } from "../../http/bearer-token.js";
import { hasRole } from "../../http/principal.js";
import { authenticateToken, issueToken, revokeToken, type TokenPrincipal } from "../../store/api-tokens.js";
import type { Store } from "../../store/database.js";
import { readCookies, setCookie } from "./cookies.js";
import { requestDto } from "./request-dto.js";
import { sendWire, withoutFormatSuffix } from "./response-format.js";
import { signIn } from "./sign-in.js";
import type { AuthenticateResponse } from "./wire-schemas.js";

/** The role the page requires for the upsert (admin holds every role). */
export const requiredRole = "REGISUserRole";
/** The token kind a ServiceStack sign-in issues. */
export const sessionTokenKind = "ss-session";
/** Every session ends 14 days after sign-in (ServiceStack's default SessionExpiry). */
export const sessionSeconds = 14 * 24 * 60 * 60;
/** A session not remembered (`rememberMe` false) also ends after two idle hours. */
export const temporarySessionIdleSeconds = 2 * 60 * 60;

// Sessions of this dialect and plain API tokens; other dialects' sessions stay on their own wires.
const acceptedKinds = new Set(["api", sessionTokenKind]);

async function tokenPrincipal(store: Store, token: string): Promise<TokenPrincipal> {
  const principal = await authenticateToken(store.db, token.trim());
  if (!principal || !acceptedKinds.has(principal.kind)) throw new TributaryError("AUTH_INVALID");
  return principal;
}

function queryParam(request: FastifyRequest, name: string): string | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const key = Object.keys(query).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : query[key];
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** The session token the cookies carry: `ss-pid` first when `ss-opt=perm`, as ServiceStack reads them. */
function cookieToken(request: FastifyRequest): string | undefined {
  const cookies = readCookies(request.headers.cookie);
  const order = cookies.get("ss-opt") === "perm" ? ["ss-pid", "ss-id"] : ["ss-id", "ss-pid"];
  for (const name of order) {
    const value = cookies.get(name)?.trim();
    if (value) return value;
  }
  return undefined;
}

/**
 * Who is calling, in ServiceStack's order: `?apikey=`, `Authorization: Bearer`, Basic (an API key as the
 * user name, or a user name and password), then the session cookies. Undefined when nothing was presented;
 * presented but not valid throws.
 */
export async function callerOf(store: Store, request: FastifyRequest): Promise<TokenPrincipal | undefined> {
  const apiKey = queryParam(request, "apikey");
  if (apiKey) return tokenPrincipal(store, apiKey);
  const bearer = bearerToken(request);
  if (bearer) return tokenPrincipal(store, bearer);
  const basic = /^Basic\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
    const password = colon >= 0 ? decoded.slice(colon + 1) : "";
    if (password === "") return tokenPrincipal(store, user);
    const principal = await authenticateToken(store.db, user.trim());
    if (principal && acceptedKinds.has(principal.kind)) return principal;
    const signedIn = await signIn(store.db, user, password);
    return {
      tokenId: 0,
      tenantId: signedIn.tenantId,
      userId: signedIn.id,
      roles: signedIn.roles,
      kind: "basic",
    };
  }
  const cookie = cookieToken(request);
  if (cookie) return tokenPrincipal(store, cookie);
  return undefined;
}

/** An onRequest hook that admits callers holding the role; others get 401 Not Authenticated / 403 Invalid Role. */
export function requireRole(store: Store, role: string) {
  return async (request: FastifyRequest) => {
    const principal = await callerOf(store, request);
    if (!principal) throw new TributaryError("AUTH_MISSING");
    if (!hasRole(principal, [role])) throw new TributaryError("AUTH_FORBIDDEN");
    request.principal = principal;
  };
}

const readBoolean = (value: unknown) =>
  value === true ||
  (typeof value === "string" && ["true", "1", "on", "yes", "t", "y"].includes(value.trim().toLowerCase()));

const readText = (value: unknown) =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;

/**
 * The `Authenticate` DTO at `/auth`, `/auth/{provider}` (with `.json`/`.jsv` suffixes), its predefined
 * routes and `/api/Authenticate`: sign in with `credentials`, read the current session, or `logout`.
 */
export async function authRoutes(app: FastifyInstance, { store }: { store: Store }) {
  const handle =
    (providerOf: (request: FastifyRequest) => string | undefined) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const dto = requestDto(request, "Authenticate");
      const provider = (providerOf(request) ?? readText(dto.get("provider")) ?? "").trim().toLowerCase();
      if (provider === "logout") return signOut(store, request, reply);
      const userName = readText(dto.get("username"));
      const password = readText(dto.get("password"));
      if (provider === "" && request.method === "GET" && userName === undefined && password === undefined)
        return currentSession(store, request, reply);
      if (provider !== "" && provider !== "credentials")
        throw new TributaryError(
          "REQUEST_NOT_FOUND",
          `No configuration was added for OAuth provider '${provider}'`,
        );
      if (request.method !== "POST")
        throw new TributaryError(
          "REQUEST_NOT_FOUND",
          "Sign in with POST; credentials do not belong in a URL",
        );
      const missing = [
        ...(userName?.trim() ? [] : [{ field: "UserName", message: "'User Name' must not be empty." }]),
        ...(password ? [] : [{ field: "Password", message: "'Password' must not be empty." }]),
      ];
      if (missing.length > 0)
        throw new TributaryError(
          "AUTH_CREDENTIALS_MISSING",
          undefined,
          missing.map((m) => ({ code: "AUTH_CREDENTIALS_MISSING", ...m })),
        );
      const user = await signIn(store.db, userName as string, password as string);
      const rememberMe = readBoolean(dto.get("rememberme"));
      const { token } = await issueToken(store.db, {
        tenantId: user.tenantId,
        userId: user.id,
        roles: user.roles,
        kind: sessionTokenKind,
        expiresAt: new Date(Date.now() + sessionSeconds * 1000),
        idleTimeoutSeconds: rememberMe ? null : temporarySessionIdleSeconds,
      });
      const secure = request.protocol === "https";
      const lifetime = rememberMe ? { maxAgeSeconds: sessionSeconds } : {};
      reply.header("set-cookie", [
        setCookie("ss-id", token, { secure }),
        setCookie("ss-pid", token, { ...lifetime, secure }),
        setCookie("ss-opt", rememberMe ? "perm" : "temp", { ...lifetime, secure }),
      ]);
      const body: AuthenticateResponse = {
        userId: String(user.id),
        sessionId: token,
        userName: user.userName,
        displayName: user.userName,
        bearerToken: token,
        roles: user.roles,
        permissions: [],
      };
      return sendWire(request, reply, 200, body);
    };

  const fromBody = () => undefined;
  const fromPath = (request: FastifyRequest) =>
    withoutFormatSuffix((request.params as { provider: string }).provider);
  for (const path of ["/auth", "/auth.json", "/auth.jsv"])
    app.route({ method: ["GET", "POST"], url: path, handler: handle(fromBody) });
  app.route({ method: ["GET", "POST"], url: "/auth/:provider", handler: handle(fromPath) });
  for (const path of [
    "/json/reply/Authenticate",
    "/jsv/reply/Authenticate",
    "/api/Authenticate",
    "/api/Authenticate.json",
    "/api/Authenticate.jsv",
  ])
    app.route({ method: ["GET", "POST"], url: path, handler: handle(fromBody) });
}

async function currentSession(store: Store, request: FastifyRequest, reply: FastifyReply) {
  const principal = await callerOf(store, request);
  if (!principal) throw new TributaryError("AUTH_MISSING");
  const body: AuthenticateResponse = {
    userId: principal.userId === null ? undefined : String(principal.userId),
    roles: principal.roles,
    permissions: [],
  };
  return sendWire(request, reply, 200, body);
}

async function signOut(store: Store, request: FastifyRequest, reply: FastifyReply) {
  const token = bearerToken(request) ?? cookieToken(request);
  if (token) {
    const principal = await authenticateToken(store.db, token.trim());
    // Logout ends sessions only; an API key presented here stays valid.
    if (principal?.kind === sessionTokenKind)
      await revokeToken(store.db, principal.tokenId, principal.tenantId);
  }
  const secure = request.protocol === "https";
  reply.header(
    "set-cookie",
    ["ss-id", "ss-pid", "ss-opt"].map((name) => setCookie(name, "", { maxAgeSeconds: 0, secure })),
  );
  return sendWire(request, reply, 200, {});
}
