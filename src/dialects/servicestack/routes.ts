import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sql } from "kysely";
import { type FieldError, renameErrorField, TributaryError } from "../../core/errors.js";
import { validateContactInput } from "../../core/validate-contact.js";
import { JsvSyntaxError, parseJsv } from "../../formats/jsv/index.js";
import { actorOf, principalOf } from "../../http/principal.js";
import { upsertContacts } from "../../store/contacts/upsert-contacts.js";
import type { Store } from "../../store/database.js";
import { listReferenceItems } from "../../store/reference-items.js";
import { requiredRole, requireRole } from "./auth.js";
import {
  type MappingLookups,
  owningUserNames,
  regentIdScheme,
  toCanonical,
  wireFieldName,
  wirePath,
} from "./mapping.js";
import { serviceStackUpsertHooks } from "./match-personal-identity.js";
import { requestDto } from "./request-dto.js";
import { sendWire } from "./response-format.js";
import {
  contactCreateRequestFields,
  maxContactsPerRequest,
  type UpsertMultipleResponse,
  upsertRequestName,
} from "./wire-schemas.js";

/** Every path ServiceStack serves `CRMContactUpsertMultipleRequest` at (matched case-insensitively). */
export const upsertPaths = [
  "/DynamicsCRM/Contact/Upsert/Multiple",
  "/DynamicsCRM/Contact/Upsert/Multiple.json",
  "/DynamicsCRM/Contact/Upsert/Multiple.jsv",
  `/json/reply/${upsertRequestName}`,
  `/jsv/reply/${upsertRequestName}`,
  `/api/${upsertRequestName}`,
  `/api/${upsertRequestName}.json`,
  `/api/${upsertRequestName}.jsv`,
];

/** `POST /DynamicsCRM/Contact/Upsert/Multiple` and its predefined routes (page 000). */
export async function upsertRoutes(
  app: FastifyInstance,
  { store, bodyLimit }: { store: Store; bodyLimit: number },
) {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = principalOf(request);
    const contacts = readContacts(request);
    if (contacts.length > maxContactsPerRequest) {
      const message = `contacts has ${contacts.length} items; at most ${maxContactsPerRequest} are allowed per request`;
      throw new TributaryError("REQUEST_TOO_MANY_RECORDS", message, [
        { code: "REQUEST_TOO_MANY_RECORDS", field: "contacts", message },
      ]);
    }
    const lookups = await loadLookups(store, principal.tenantId, contacts);
    const problems: FieldError[] = [];
    const inputs = contacts.map((contact, index) => {
      const mapped = toCanonical(contact, index, lookups);
      problems.push(...mapped.problems);
      // The engine checks lengths and emails too, but only after every type problem is gone: checking here
      // as well lists every problem of the request in one answer.
      problems.push(...validateContactInput(mapped.input, index).map(speakWire));
      return mapped.input;
    });
    if (problems.length > 0) throw new TributaryError("BATCH_REJECTED", undefined, inPageOrder(problems));

    const outcome = await upsertContacts(store.db, inputs, {
      tenantId: principal.tenantId,
      idProperty: { scheme: regentIdScheme },
      requireMatchKey: false,
      mode: "allOrNone",
      actor: actorOf(principal),
      hooks: serviceStackUpsertHooks,
    });
    if (!outcome.committed)
      throw new TributaryError(
        "BATCH_REJECTED",
        undefined,
        outcome.results.flatMap((r) => r.errors.map(speakWire)),
      );
    const count = (status: string) => String(outcome.results.filter((r) => r.status === status).length);
    const body: UpsertMultipleResponse = {
      errors: [],
      meta: {
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        ids: outcome.results.map((r) => r.id).join(","),
      },
    };
    return sendWire(request, reply, 200, body);
  };
  const onRequest = requireRole(store, requiredRole);
  // A request of 1,000 contacts with photos runs far past the server's default body limit, and a client that
  // sends 50,000 contacts should hear "at most 1,000" (400 Length) rather than a bare size refusal.
  for (const url of upsertPaths) app.post(url, { onRequest, bodyLimit }, handler);
}

/** The request's `contacts`: a list in JSON and JSV bodies; in a form, one field holding the list as JSV. */
function readContacts(request: FastifyRequest): unknown[] {
  const value = requestDto(request, upsertRequestName).get("contacts");
  if (value === undefined || value === null || value === "") return [];
  if (Array.isArray(value)) return value;
  const isForm = /^application\/x-www-form-urlencoded\b/i.test(request.headers["content-type"] ?? "");
  if (typeof value === "string" && isForm) {
    let parsed: unknown;
    try {
      parsed = parseJsv(value);
    } catch (error) {
      if (!(error instanceof JsvSyntaxError)) throw error;
      const message = `contacts is not JSV: ${error.message}`;
      throw new TributaryError("REQUEST_BODY_INVALID", message, [
        { code: "REQUEST_BODY_INVALID", field: "contacts", message },
      ]);
    }
    if (parsed === null || parsed === undefined) return [];
    if (Array.isArray(parsed)) return parsed;
  }
  const message = "contacts must be a list of CRMContactCreateRequest";
  throw new TributaryError("REQUEST_BODY_INVALID", message, [
    { code: "REQUEST_BODY_INVALID", field: "contacts", message },
  ]);
}

/** Countries by name and ISO code, and the tenant's users named by `owning_username`. */
async function loadLookups(store: Store, tenantId: number, contacts: unknown[]): Promise<MappingLookups> {
  const countries = new Map<string, number>();
  for (const c of await listReferenceItems(store.db, tenantId, "country", { includeInactive: true })) {
    countries.set(c.name.trim().toLowerCase(), c.id);
    if (c.code) countries.set(c.code.trim().toLowerCase(), c.id);
  }
  const names = owningUserNames(contacts).map((n) => n.toLowerCase());
  const users = new Map<string, string>();
  if (names.length > 0) {
    const rows = await store.db
      .selectFrom("users")
      .select("username")
      .where("tenantId", "=", tenantId)
      .where(sql`lower(username)`, "=", sql`any(${names}::text[])`)
      .execute();
    for (const row of rows) users.set(row.username.toLowerCase(), row.username);
  }
  return {
    countryId: (nameOrCode) => countries.get(nameOrCode.trim().toLowerCase()),
    userName: (name) => users.get(name.trim().toLowerCase()),
  };
}

const fieldOrder = new Map(Object.keys(contactCreateRequestFields).map((name, i) => [name, i]));

/** Problems by contact, then in the page's field order, so the first one (which ResponseStatus copies) is stable. */
function inPageOrder(problems: FieldError[]): FieldError[] {
  const rank = (e: FieldError) => fieldOrder.get(e.field?.split(".").at(-1) ?? "") ?? -1;
  return [...problems].sort((a, b) => (a.index ?? -1) - (b.index ?? -1) || rank(a) - rank(b));
}

// The engine and the core validator name canonical fields; the client knows only the page's names.
function speakWire(error: FieldError): FieldError {
  if (error.field === undefined || error.index === undefined) return error;
  const wire = wireFieldName(error.field) ?? error.field;
  return renameErrorField(error, wirePath(error.index, wire), wire);
}
