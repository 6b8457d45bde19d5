import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import type { ContactInput } from "../../core/contact.js";
import type { ReferenceKind } from "../../core/contact-fields.js";
import { type FieldError, fieldError, TributaryError } from "../../core/errors.js";
import { validateContactInput } from "../../core/validate-contact.js";
import { classifyError } from "../../http/classify-error.js";
import { actorOf, principalOf } from "../../http/principal.js";
import {
  countContacts,
  getContact,
  getContacts,
  searchContactIds,
} from "../../store/contacts/read-contacts.js";
import { upsertContacts } from "../../store/contacts/upsert-contacts.js";
import type { Store } from "../../store/database.js";
import { listReferenceItems } from "../../store/reference-items.js";
import { grantPasswordToken, OAuthError, requireHobsonsToken } from "./auth.js";
import { hobsonsMessage, invalidRequestMessage } from "./errors.js";
import { fromCanonical, referenceIdsOf, studentIdScheme, toCanonical, wireFieldOf } from "./mapping.js";
import { registerPreprocessRoute } from "./preprocess-routes.js";
import { bodyParameter, readContactDtos, readInstant } from "./read-contact-dtos.js";
import { loadReferenceNames } from "./reference-names.js";
import { registerUpsertContactRoutes } from "./upsert-contact-routes.js";
import type { ValidContactDto } from "./wire-schemas.js";

/** The status-history reasons a created contact gets when the ContactDto gives none (the page: "Hobsons will set a default reason"). */
export const hobsonsDefaultReasons = {
  heatStatusCreated: "Contact created through api/bulk/contacts",
  heatStatusChanged: "Heat status changed through the Hobsons API",
  contactStatusCreated: "Contact created through api/bulk/contacts",
  contactStatusChanged: "Contact status changed through the Hobsons API",
};

// Hobsons accepts on writes only sub-channels of the channel of this name (the page, SubChannelId).
const writableChannelName = "external";

const listLimit = { default: 100, max: 500 };

/** `POST api/token`: the OAuth2 password grant, answered and refused in OAuth2's own shapes. */
export async function hobsonsTokenRoutes(app: FastifyInstance, { store }: { store: Store }) {
  await app.register(formbody);
  app.setErrorHandler((error, request, reply) => {
    reply.header("cache-control", "no-store").header("pragma", "no-cache");
    if (error instanceof OAuthError)
      return reply
        .status(400)
        .send(
          error.description
            ? { error: error.error, error_description: error.description }
            : { error: error.error },
        );
    const classified = classifyError(error);
    if (classified.status >= 500) {
      request.log.error({ err: error }, "token request failed");
      return reply.status(500).send({ error: "server_error" });
    }
    return reply
      .status(classified.status === 413 ? 413 : 400)
      .send({ error: "invalid_request", error_description: classified.message });
  });
  app.post("/api/token", async (request, reply) => {
    const form =
      request.body && typeof request.body === "object" ? (request.body as Record<string, unknown>) : {};
    const granted = await grantPasswordToken(store, form);
    return reply.header("cache-control", "no-store").header("pragma", "no-cache").send(granted);
  });
}

/** The bulk insert, contact reads and reference lists, all behind a Bearer token with the Hobsons role. */
export async function hobsonsRoutes(app: FastifyInstance, { store }: { store: Store }) {
  // onRequest, not preHandler: an unauthenticated caller is refused before its body is read.
  app.addHook("onRequest", requireHobsonsToken(store));
  registerUpsertContactRoutes(app, store);
  registerPreprocessRoute(app);

  app.post("/api/bulk/contacts", async (request) => {
    const principal = principalOf(request);
    const { dtos, errors } = readContactDtos(request.body);
    if (dtos.length === 0) throw new TributaryError(errors[0].code, errors[0].message, errors);
    const inputs = dtos.map(toCanonical);
    // With the wire valid, the engine's own checks (an EmailAddress that is no address) answer alike.
    if (errors.length > 0) errors.push(...canonicalErrors(inputs, dtos, errors));
    // Every violation is reported at once (issue: "not just the first"), so the database checks
    // (references, a StudentId already taken, the External channel) run even when binding failed: the
    // flagged values are left out of what the engine sees, and each flagged contact fails the engine's
    // check, which rolls the batch back whatever else it finds.
    const bindingErrors = sortByContact(errors);
    const flagged = flaggedContacts(bindingErrors);
    const engineInputs =
      flagged.size === 0 ? inputs : inputs.map((input, i) => withoutFlagged(input, flagged.get(i)));
    const indexOf = new Map(engineInputs.map((input, index) => [input, index]));
    const flaggedMarker = fieldError("REQUEST_BODY_INVALID", bodyParameter, invalidRequestMessage);

    // Insert-only: no input carries an id, so with requireMatchKey off every one creates a contact.
    const outcome = await upsertContacts(store.db, engineInputs, {
      tenantId: principal.tenantId,
      idProperty: "id",
      requireMatchKey: false,
      mode: "allOrNone",
      actor: actorOf(principal),
      defaultReasons: hobsonsDefaultReasons,
      fieldPath: (index, field) => `${bodyParameter}[${index}].${wireFieldOf(field)}`,
      hooks: {
        check(input, _stored, refs) {
          const index = indexOf.get(input) as number;
          const found = flagged.has(index) ? [flaggedMarker] : [];
          const subChannelId = input.fields.subChannelId;
          // An unknown or wrong-kind id already has the engine's CONTACT_REFERENCE_UNKNOWN.
          if (typeof subChannelId !== "number" || refs.get(subChannelId)?.kind !== "sub_channel")
            return found;
          // The engine's reference index holds each named row's parent too: the sub-channel's channel.
          const parentId = refs.get(subChannelId)?.parentId;
          const channel = parentId === null || parentId === undefined ? undefined : refs.get(parentId);
          if (channel?.kind === "channel" && channel.name.trim().toLowerCase() === writableChannelName)
            return found;
          return [
            fieldError(
              "CONTACT_FIELD_INVALID",
              `${bodyParameter}[${index}].SubChannelId`,
              `The SubChannelId ${subChannelId} does not belong to the channel named 'External'; only External sub-channels are accepted.`,
              index,
            ),
            ...found,
          ];
        },
      },
    });
    if (!outcome.committed || bindingErrors.length > 0) {
      const rejected = outcome.results.flatMap((r) =>
        r.errors
          .filter((e) => e !== flaggedMarker)
          .map((e) => {
            const wire = (e.field ?? "").slice((e.field ?? "").lastIndexOf(".") + 1);
            return { ...e, message: hobsonsMessage(e, wire, dtos[r.index]?.[wire]) };
          }),
      );
      // Binding errors first within each contact (as ASP.NET validates the model before the action runs).
      throw new TributaryError(
        bindingErrors.length > 0 ? "REQUEST_BODY_INVALID" : "BATCH_REJECTED",
        invalidRequestMessage,
        sortByContact([...bindingErrors, ...rejected]),
      );
    }
    return outcome.results.map((r) => r.id);
  });

  app.get("/api/contacts", async (request) => {
    const { tenantId } = principalOf(request);
    const query = readListQuery(request.query as Record<string, unknown>);
    const search = {
      email: query.emailAddress,
      surname: query.surname,
      identifier:
        query.studentId === undefined ? undefined : { scheme: studentIdScheme, value: query.studentId },
      modifiedSince: query.modifiedSince,
    };
    const [ids, total] = await Promise.all([
      searchContactIds(store.db, tenantId, { ...search, limit: query.limit, offset: query.offset }),
      query.returnTotal ? countContacts(store.db, tenantId, search) : Promise.resolve(undefined),
    ]);
    const views = await getContacts(store.db, tenantId, ids);
    const names = await loadReferenceNames(store.db, tenantId, views.flatMap(referenceIdsOf));
    const data = views.map((v) => fromCanonical(v, names));
    return total === undefined ? { Data: data } : { Data: data, Total: total };
  });

  app.get("/api/contacts/:id", async (request) => {
    const { tenantId } = principalOf(request);
    const raw = (request.params as { id: string }).id;
    if (!/^\d{1,15}$/.test(raw))
      throw new TributaryError("REQUEST_BODY_INVALID", invalidRequestMessage, [
        fieldError("REQUEST_BODY_INVALID", "id", `The value '${raw}' is not valid for Int32.`),
      ]);
    const view = await getContact(store.db, tenantId, Number(raw));
    if (!view) throw new TributaryError("CONTACT_NOT_FOUND", `No contact with Id ${raw} was found.`);
    return fromCanonical(view, await loadReferenceNames(store.db, tenantId, referenceIdsOf(view)));
  });

  const referenceList = (path: string, kind: ReferenceKind) =>
    app.get(path, async (request) => {
      const { tenantId } = principalOf(request);
      const includeInactive =
        readBoolean(request.query as Record<string, unknown>, "includeInactive") ?? false;
      const items = await listReferenceItems(store.db, tenantId, kind, { includeInactive });
      const channels =
        kind === "sub_channel"
          ? new Map(
              (await listReferenceItems(store.db, tenantId, "channel", { includeInactive: true })).map(
                (c) => [c.id, c.name],
              ),
            )
          : undefined;
      return items.map((item) => ({
        Id: item.id,
        Name: item.name,
        ...(kind === "country" ? { Code: item.code } : {}),
        ...(channels
          ? {
              ChannelId: item.parentId,
              ChannelName: item.parentId === null ? null : (channels.get(item.parentId) ?? null),
            }
          : {}),
        Inactive: !item.active,
      }));
    });
  referenceList("/api/salutations", "salutation");
  referenceList("/api/countries", "country");
  referenceList("/api/heatstatuses", "heat_status");
  referenceList("/api/channels", "channel");
  referenceList("/api/subchannels", "sub_channel");
  referenceList("/api/contactstatuses", "contact_status");
  referenceList("/api/intakes", "intake");
}

// The engine's own checks (an EmailAddress that is no address, …) run here too, so that they are reported
// with the reader's instead of after them; a key the reader already flagged is not flagged twice.
function canonicalErrors(inputs: ContactInput[], dtos: ValidContactDto[], found: FieldError[]): FieldError[] {
  const taken = new Set(found.map((e) => e.field));
  const errors: FieldError[] = [];
  for (const [index, input] of inputs.entries()) {
    for (const error of validateContactInput(input, index)) {
      const wire = wireFieldOf(error.field ?? "");
      const key = `${bodyParameter}[${index}].${wire}`;
      if (taken.has(key)) continue;
      taken.add(key);
      errors.push({ ...error, field: key, message: hobsonsMessage(error, wire, dtos[index][wire]) });
    }
  }
  return errors;
}

function sortByContact(errors: FieldError[]): FieldError[] {
  return [...errors].sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
}

/** The ContactDto members that binding already refused, by contact index (a whole contact: "*"). */
function flaggedContacts(errors: readonly FieldError[]): Map<number, Set<string>> {
  const flagged = new Map<number, Set<string>>();
  for (const error of errors) {
    if (error.index === undefined) continue;
    const key = error.field ?? "";
    const dot = key.indexOf("].");
    let members = flagged.get(error.index);
    if (!members) {
      members = new Set();
      flagged.set(error.index, members);
    }
    members.add(dot === -1 ? "*" : key.slice(dot + 2));
  }
  return flagged;
}

/** A copy of a contact without the values binding refused, so the engine checks only the rest. */
function withoutFlagged(input: ContactInput, members: ReadonlySet<string> | undefined): ContactInput {
  if (!members) return input;
  if (members.has("*")) return { fields: {} };
  const fields = Object.fromEntries(
    Object.entries(input.fields).filter(([canonical]) => !members.has(wireFieldOf(canonical))),
  );
  const copy: ContactInput = { ...input, fields };
  if (members.has("StudentId")) delete copy.identifiers;
  return copy;
}

interface ListQuery {
  offset: number;
  limit: number;
  returnTotal: boolean;
  studentId?: string;
  emailAddress?: string;
  surname?: string;
  modifiedSince?: Date;
}

// ASP.NET binds query parameters case-insensitively and ignores those it does not know.
function queryValue(query: Record<string, unknown>, name: string): string | undefined {
  const key = Object.keys(query).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return undefined;
  const value = query[key];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof last === "string" ? last : undefined;
}

function readBoolean(query: Record<string, unknown>, name: string): boolean | undefined {
  const raw = queryValue(query, name);
  if (raw === undefined || raw === "") return undefined;
  if (/^(true|false)$/i.test(raw.trim())) return raw.trim().toLowerCase() === "true";
  throw new TributaryError("REQUEST_BODY_INVALID", invalidRequestMessage, [
    fieldError("REQUEST_BODY_INVALID", name, `The value '${raw}' is not valid for Boolean.`),
  ]);
}

function readListQuery(query: Record<string, unknown>): ListQuery {
  const errors: FieldError[] = [];
  const integer = (name: string, min: number, max: number, fallback: number) => {
    const raw = queryValue(query, name);
    if (raw === undefined || raw === "") return fallback;
    if (!/^\s*\d{1,9}\s*$/.test(raw)) {
      errors.push(fieldError("REQUEST_BODY_INVALID", name, `The value '${raw}' is not valid for Int32.`));
      return fallback;
    }
    const value = Number(raw);
    if (value < min || value > max)
      errors.push(
        fieldError(
          "CONTACT_FIELD_OUT_OF_RANGE",
          name,
          `The field ${name} must be between ${min} and ${max}.`,
        ),
      );
    return value;
  };
  const text = (name: string) => {
    const raw = queryValue(query, name)?.trim();
    return raw === undefined || raw === "" ? undefined : raw;
  };
  const result: ListQuery = {
    offset: integer("offset", 0, 999_999_999, 0),
    limit: integer("limit", 1, listLimit.max, listLimit.default),
    returnTotal: false,
    studentId: text("studentId"),
    emailAddress: text("emailAddress"),
    surname: text("surname"),
  };
  try {
    result.returnTotal = readBoolean(query, "returnTotal") ?? false;
  } catch (error) {
    errors.push(...(error as TributaryError).details);
  }
  const since = text("modifiedSince");
  if (since !== undefined) {
    const date = readInstant(since);
    if (date) result.modifiedSince = date;
    else
      errors.push(
        fieldError(
          "CONTACT_DATE_INVALID",
          "modifiedSince",
          `The value '${since}' is not valid for DateTime; send ISO 8601.`,
        ),
      );
  }
  if (errors.length > 0) throw new TributaryError("REQUEST_BODY_INVALID", invalidRequestMessage, errors);
  return result;
}
