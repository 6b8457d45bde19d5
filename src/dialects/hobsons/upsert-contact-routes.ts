// The UpsertContact endpoints the pre-processor feeds (page 002): upsertcontact, upsertcontacts and
// updatecontact. Matching: CrmNumber, then StudentInstitutionId, then the scored PI match of
// docs/matching.md, tuned by the vendor's query parameters.
import type { FastifyInstance } from "fastify";
import { type Kysely, sql } from "kysely";
import { type FieldError, fieldError, TributaryError } from "../../core/errors.js";
import { defaultMatchOptions, type MatchOptions } from "../../core/score-match.js";
import { actorOf, principalOf } from "../../http/principal.js";
import { type UpsertResult, upsertContacts } from "../../store/contacts/upsert-contacts.js";
import type { Store } from "../../store/database.js";
import type { Database } from "../../store/schema.js";
import {
  applyReferenceIds,
  type BoundContactUpsert,
  bindContactUpsertDto,
  type ReferenceName,
  upsertWireFieldOf,
} from "./contact-upsert-dto.js";
import { hobsonsMessage, invalidRequestMessage } from "./errors.js";
import { studentIdScheme } from "./mapping.js";
import { personalIdentifierKey, scoredMatch } from "./match-hooks.js";

/** The most contacts `upsertcontacts` takes in one transaction. */
export const maxUpsertContacts = 100;

export const upsertReasons = {
  heatStatusCreated: "Contact created through api/processes/upsertcontact",
  heatStatusChanged: "Heat status changed through api/processes/upsertcontact",
  contactStatusCreated: "Contact created through api/processes/upsertcontact",
  contactStatusChanged: "Contact status changed through api/processes/upsertcontact",
};

const statusWords = { created: "Created", updated: "Updated", unchanged: "Unchanged" } as const;

interface MatchingParameters extends MatchOptions {
  enabled: boolean;
}

/** Registers the three endpoints on the (already authenticated) Hobsons scope. */
export function registerUpsertContactRoutes(app: FastifyInstance, store: Store): void {
  app.post("/api/processes/upsertcontact", async (request) => {
    const matching = readMatchingParameters(request.query as Record<string, unknown>);
    const [result] = await upsertDtos(store, request, [request.body], () => "contact", matching, false);
    return result.id;
  });

  app.post("/api/processes/upsertcontacts", async (request) => {
    const body = request.body;
    if (!Array.isArray(body)) {
      throw invalid([
        fieldError("REQUEST_BODY_INVALID", "contacts", "The body must be a JSON array of ContactUpsertDto."),
      ]);
    }
    if (body.length === 0)
      throw invalid([
        fieldError(
          "REQUEST_EMPTY_BATCH",
          "contacts",
          "The collection of contacts is empty; send at least one contact.",
        ),
      ]);
    if (body.length > maxUpsertContacts) {
      throw invalid([
        fieldError(
          "REQUEST_TOO_MANY_RECORDS",
          "contacts",
          `The collection has ${body.length} contacts; at most ${maxUpsertContacts} are accepted.`,
        ),
      ]);
    }
    const matching = readMatchingParameters(request.query as Record<string, unknown>);
    const results = await upsertDtos(store, request, body, (i) => `contacts[${i}]`, matching, false);
    return results.map((r) => ({
      CrmNumber: r.id,
      Status: statusWords[r.status as keyof typeof statusWords],
    }));
  });

  app.post("/api/processes/updatecontact", async (request) => {
    const matching = readMatchingParameters(request.query as Record<string, unknown>);
    const [result] = await upsertDtos(store, request, [request.body], () => "contact", matching, true);
    return result.id;
  });
}

async function upsertDtos(
  store: Store,
  request: Parameters<typeof principalOf>[0],
  dtos: unknown[],
  pathOf: (index: number) => string,
  matching: MatchingParameters,
  updateOnly: boolean,
): Promise<UpsertResult[]> {
  const principal = principalOf(request);
  const bound = dtos.map((dto, index) => bindContactUpsertDto(dto, index, pathOf(index)));
  const errors = bound.flatMap((b) => b.errors);
  const inputs = bound.map((b) => b.input);
  errors.push(...(await resolveReferenceNames(store.db, principal.tenantId, bound, pathOf)));
  if (errors.length > 0) throw invalid(errors);

  const outcome = await upsertContacts(store.db, inputs, {
    tenantId: principal.tenantId,
    idProperty: { scheme: studentIdScheme },
    requireMatchKey: false,
    updateOnly,
    mode: "allOrNone",
    actor: actorOf(principal),
    defaultReasons: upsertReasons,
    fieldPath: (index, field) => `${pathOf(index)}.${upsertWireFieldOf(field)}`,
    hooks: matching.enabled
      ? { fallbackMatch: scoredMatch(matching), fallbackKey: personalIdentifierKey }
      : undefined,
  });
  if (!outcome.committed) {
    const failed = outcome.results.flatMap((r) => r.errors);
    if (updateOnly && failed.some((e) => e.code === "CONTACT_NOT_FOUND")) {
      throw new TributaryError(
        "CONTACT_NOT_FOUND",
        "No contact matches the given CrmNumber, StudentInstitutionId or personal identifier.",
      );
    }
    throw invalid(
      failed.map((e) => {
        const wire = (e.field ?? "").slice((e.field ?? "").lastIndexOf(".") + 1);
        return { ...e, message: hobsonsMessage(e, wire, memberValue(dtos[e.index ?? 0], wire)) };
      }),
    );
  }
  return outcome.results;
}

function memberValue(dto: unknown, wire: string): unknown {
  if (dto === null || typeof dto !== "object") return undefined;
  const key = Object.keys(dto).find((k) => k.toLowerCase() === wire.toLowerCase());
  return key === undefined ? undefined : (dto as Record<string, unknown>)[key];
}

function invalid(errors: FieldError[]): TributaryError {
  return new TributaryError("REQUEST_BODY_INVALID", invalidRequestMessage, errors);
}

/** Resolves reference names (countries also by ISO code) to the tenant's ids; an unknown name is a field error naming it. */
async function resolveReferenceNames(
  db: Kysely<Database>,
  tenantId: number,
  bound: BoundContactUpsert[],
  pathOf: (index: number) => string,
): Promise<FieldError[]> {
  const wanted = bound.flatMap((b) => b.references);
  if (wanted.length === 0) return [];
  const kinds = [...new Set(wanted.map((w) => w.kind))];
  const names = [...new Set(wanted.map((w) => w.name.toLowerCase()))];
  const rows = await sql<{ id: number; kind: string; name: string; code: string | null; active: boolean }>`
    select id, kind, name, code, active from reference_items
    where tenant_id = ${tenantId} and kind = any(${kinds}::text[])
      and (lower(name) = any(${names}::text[]) or lower(code) = any(${names}::text[]))
    order by active desc, id`.execute(db);
  const find = (ref: ReferenceName) =>
    rows.rows.find((r) => r.kind === ref.kind && r.name.toLowerCase() === ref.name.toLowerCase()) ??
    (ref.kind === "country"
      ? rows.rows.find((r) => r.kind === "country" && r.code?.toLowerCase() === ref.name.toLowerCase())
      : undefined);
  const idOf = (ref: ReferenceName) => {
    const row = find(ref);
    return row ? Number(row.id) : undefined;
  };
  const errors = bound.flatMap((b, index) => applyReferenceIds(b, idOf, index, pathOf(index)));
  return errors;
}

/** The vendor's matching query parameters, case-insensitive as ASP.NET binds them. */
function readMatchingParameters(query: Record<string, unknown>): MatchingParameters {
  const value = (name: string) => {
    const key = Object.keys(query).find((k) => k.toLowerCase() === name.toLowerCase());
    const raw = key === undefined ? undefined : query[key];
    const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    return typeof last === "string" && last.trim() !== "" ? last.trim() : undefined;
  };
  const errors: FieldError[] = [];
  const number = (name: string, min: number, max: number, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      errors.push(
        fieldError(
          "CONTACT_FIELD_OUT_OF_RANGE",
          name,
          `The value '${raw}' is not valid for ${name}: it must be a number between ${min} and ${max}.`,
        ),
      );
      return fallback;
    }
    return n;
  };
  const enabledRaw = value("contactMatchingEnabled");
  let enabled = true;
  if (enabledRaw !== undefined) {
    if (/^(true|false)$/i.test(enabledRaw)) enabled = enabledRaw.toLowerCase() === "true";
    else
      errors.push(
        fieldError(
          "CONTACT_FIELD_INVALID",
          "contactMatchingEnabled",
          `The value '${enabledRaw}' is not valid for Boolean.`,
        ),
      );
  }
  const result = {
    enabled,
    minConfirmedScore: number(
      "contactMatchingMinConfirmedScore",
      0,
      100,
      defaultMatchOptions.minConfirmedScore,
    ),
    minNameSimilarity: number(
      "contactMatchingMinNameSimilarity",
      0,
      1,
      defaultMatchOptions.minNameSimilarity,
    ),
  };
  if (errors.length > 0) throw invalid(errors);
  return result;
}
