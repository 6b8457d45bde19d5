import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Config } from "../../config.js";
import { type FieldError, renameErrorField, TributaryError } from "../../core/errors.js";
import { validateContactInput } from "../../core/validate-contact.js";
import { actorOf, hasRole, principalOf } from "../../http/principal.js";
import { authenticateToken, issueToken, revokeToken } from "../../store/api-tokens.js";
import { upsertContacts } from "../../store/contacts/upsert-contacts.js";
import type { Store } from "../../store/database.js";
import { listReferenceItems } from "../../store/reference-items.js";
import { loginUser } from "./login-user.js";
import { type ContactJson, externalIdOf, externalIdScheme, toCanonical, wireFieldName } from "./mapping.js";
import { samUpsertHooks } from "./upsert-hooks.js";
import { ContactJsonArraySchema, UpsertAnswerSchema } from "./wire-schemas.js";

/** The role a user needs to upsert contacts through SAM (admin always may). */
const samRole = "SamApiUser";
/** The token kind a SAM login issues; only these are accepted on the SAM wire. */
const samTokenKind = "sam-session";
const tokenHeader = "x-nextinteract-authtoken";
const expiryHeader = "x-nextinteract-authtoken-expiry-seconds";

export interface SamRoutesOptions {
  store: Store;
  config: Config;
  /** the clock; tests pass a fake one to age sessions and locks */
  now: () => Date;
}

/** loginUser, logoutUser and upsertContacts of NextInteract SAM (page 003). */
export async function samRoutes(app: FastifyInstance, { store, config, now }: SamRoutesOptions) {
  const session = (roles: readonly string[]) => async (request: FastifyRequest) => {
    const token = request.headers[tokenHeader];
    if (typeof token !== "string" || token.trim() === "")
      throw new TributaryError("AUTH_MISSING", `Send the ${tokenHeader} header that loginUser answered`);
    const principal = await authenticateToken(store.db, token.trim(), now());
    if (!principal || principal.kind !== samTokenKind) throw new TributaryError("AUTH_INVALID");
    if (roles.length > 0 && !hasRole(principal, roles))
      throw new TributaryError("AUTH_FORBIDDEN", `This operation needs the role ${roles.join(" or ")}`);
    request.principal = principal;
  };

  app.post("/user/login", async (request, reply) => {
    const { email, password } = readLogin(request.body);
    const result = await loginUser(store.db, email, password, now());
    if (result.outcome === "locked") throw new TributaryError("AUTH_ACCOUNT_LOCKED");
    if (result.outcome === "failed") throw new TributaryError("AUTH_LOGIN_FAILED");
    const idle = config.samSessionIdleSeconds;
    const { token } = await issueToken(store.db, {
      tenantId: result.user.tenantId,
      userId: result.user.id,
      roles: result.user.roles,
      kind: samTokenKind,
      idleTimeoutSeconds: idle > 0 ? idle : null,
    });
    return reply.status(200).header(tokenHeader, token).header(expiryHeader, String(idle)).send();
  });

  app.post("/user/logout", { onRequest: session([]) }, async (request) => {
    const principal = principalOf(request);
    return { booleanValue: await revokeToken(store.db, principal.tokenId, principal.tenantId) };
  });

  app.post(
    "/company/contact/upsert",
    {
      onRequest: session([samRole]),
      schema: { body: ContactJsonArraySchema, response: { 200: UpsertAnswerSchema } },
    },
    async (request) => {
      const principal = principalOf(request);
      const wire = request.body as ContactJson[];
      if (wire.length === 0) return [];
      const countries = await listReferenceItems(store.db, principal.tenantId, "country", {
        includeInactive: true,
      });
      const countryIds = new Map(countries.map((c) => [c.code?.toUpperCase(), c.id]));
      const problems: FieldError[] = [];
      const inputs = wire.map((record, index) => {
        const mapped = toCanonical(record, (code) => countryIds.get(code));
        for (const p of mapped.problems)
          problems.push({ code: "CONTACT_FIELD_INVALID", field: p.field, message: p.message, index });
        return mapped.input;
      });
      if (problems.length > 0) {
        // Every problem at once: the engine's checks of the records' other fields too, in record order.
        for (const [index, input] of inputs.entries())
          problems.push(...validateContactInput(input, index).map(speakWire));
        problems.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
        throw new TributaryError("BATCH_REJECTED", undefined, problems);
      }

      const outcome = await upsertContacts(store.db, inputs, {
        tenantId: principal.tenantId,
        idProperty: { scheme: externalIdScheme },
        requireMatchKey: false,
        mode: "allOrNone",
        actor: actorOf(principal),
        hooks: samUpsertHooks,
      });
      if (!outcome.committed) {
        const details = outcome.results.flatMap((r) => r.errors.map(speakWire));
        throw new TributaryError("BATCH_REJECTED", undefined, details);
      }
      return outcome.results.map((r, index) => ({
        recordId: externalIdOf(wire[index]) ?? String(r.id),
        rowsAffected: r.status === "skipped" ? 0 : 1,
      }));
    },
  );
}

/** The credentials of a loginUser request: form parameters (version 1) or the same as JSON (version 2). */
function readLogin(body: unknown): { email: string; password: string } {
  const params =
    typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  const { uEmail, uPassword, appCode, version } = params;
  if (typeof uEmail !== "string" || uEmail.trim() === "" || typeof uPassword !== "string" || uPassword === "")
    throw new TributaryError("AUTH_CREDENTIALS_MISSING", "Username and Password must be supplied for login.");
  const invalid: FieldError[] = [];
  if (uEmail.length > 255)
    invalid.push({
      code: "CONTACT_FIELD_TOO_LONG",
      field: "uEmail",
      message: "uEmail is longer than 255 characters",
    });
  // PostgreSQL text cannot hold NUL: the user lookup would fail with the database's words instead.
  if (uEmail.includes("\u0000"))
    invalid.push({
      code: "CONTACT_FIELD_INVALID",
      field: "uEmail",
      message: "uEmail contains a NUL (U+0000) character",
    });
  // The vendor caps passwords at 30; Tributary's own users may have longer ones, but not unbounded.
  if (uPassword.length > 1024)
    invalid.push({ code: "CONTACT_FIELD_TOO_LONG", field: "uPassword", message: "uPassword is too long" });
  if (appCode !== "NI" && appCode !== "MY")
    invalid.push({ code: "CONTACT_FIELD_INVALID", field: "appCode", message: "appCode must be NI or MY" });
  if (!["1", "2"].includes(String(version)))
    invalid.push({ code: "CONTACT_FIELD_INVALID", field: "version", message: "version must be 1 or 2" });
  if (invalid.length > 0) throw new TributaryError("REQUEST_BODY_INVALID", undefined, invalid);
  return { email: uEmail, password: uPassword };
}

// The engine names canonical fields; the client knows only ContactJSON names.
function speakWire(error: FieldError): FieldError {
  if (!error.field) return error;
  return renameErrorField(error, wireFieldName(error.field));
}
