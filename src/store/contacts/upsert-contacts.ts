import { type Kysely, PGliteAdapter, type RawBuilder, sql, type Transaction } from "kysely";
import type { ContactInput, ScalarValue } from "../../core/contact.js";
import {
  type ContactFieldSpec,
  contactFields,
  contactFieldsByName,
  type ReferenceKind,
} from "../../core/contact-fields.js";
import { type ErrorCode, type FieldError, fieldError, renameErrorField } from "../../core/errors.js";
import {
  type IdProperty,
  idPropertyName,
  matchKeyField,
  matchKeyMissingMessage,
  matchKeyOf,
} from "../../core/match-key.js";
import { compilePlainConstructor, LayoutCache, thisProperty } from "../../core/record-layouts.js";
import { validateContactInput } from "../../core/validate-contact.js";
import type { Database } from "../schema.js";
import { activityValues, childFingerprint, columnOf, communicationColumns } from "./child-fingerprint.js";
import { arrayParameter, columnarRecordset, copyNewContacts, recordsetFragments } from "./contact-columns.js";
import { newContactIds, parseContactIds } from "./contact-ids.js";
import { contactLockName, lockContactKeys } from "./contact-locks.js";
import { noteContactRowsWritten } from "./keep-statistics.js";

export type UpsertStatus = "created" | "updated" | "unchanged" | "error" | "skipped";

export interface UpsertResult {
  index: number;
  status: UpsertStatus;
  id?: number;
  errors: FieldError[];
}

/** What a dialect can add to the engine: its own checks and matching, run inside the batch's transaction. */
export interface UpsertHooks {
  /** Extra checks on one input against the stored contact (undefined when new); "skip" leaves it alone. */
  check?(input: ContactInput, stored: StoredContact | undefined, refs: ReferenceIndex): FieldError[] | "skip";
  /** Finds contacts for inputs that the idProperty did not match (for example a scored PI match). */
  fallbackMatch?(
    trx: Transaction<Database>,
    tenantId: number,
    inputs: Array<{ index: number; input: ContactInput }>,
  ): Promise<Map<number, number>>;
  /** The same person's key for fallback matching inside one batch (two new inputs, one contact); null when none. */
  fallbackKey?(input: ContactInput): string | null;
}

export interface UpsertOptions {
  tenantId: number;
  idProperty: IdProperty;
  mode: "allOrNone" | "partial";
  actor: string;
  /** When false an input without the idProperty's value is created instead of refused. */
  requireMatchKey?: boolean;
  /** When true an input that matches nothing is refused (update-only endpoints). */
  updateOnly?: boolean;
  defaultReasons?: {
    heatStatusCreated: string;
    heatStatusChanged: string;
    contactStatusCreated: string;
    contactStatusChanged: string;
  };
  /** Field-path prefix per input, so errors name the wire's own path. */
  fieldPath?: (index: number, field: string) => string;
  /**
   * Per input, what `validateContactInput(input, index)` already answered for it (and normalised in place):
   * an import validates a chunk while the previous chunk's transaction runs, not inside its own.
   */
  validated?: ReadonlyArray<readonly FieldError[]>;
  hooks?: UpsertHooks;
}

export interface StoredContact {
  id: number;
  /** the stored values of the fields this batch writes, plus status ids, the source clock and the PI fields */
  fields: Record<string, ScalarValue>;
}

/** The reference rows a batch names, and their parents (a sub-channel's channel), by id. */
export type ReferenceIndex = Map<
  number,
  { kind: string; active: boolean; parentId: number | null; name: string }
>;

export interface UpsertOutcome {
  results: UpsertResult[];
  /** false when allOrNone refused the batch (nothing written) */
  committed: boolean;
}

const defaultReasons = {
  heatStatusCreated: "Contact created",
  heatStatusChanged: "Heat status changed",
  contactStatusCreated: "Contact created",
  contactStatusChanged: "Contact status changed",
};

interface Pending {
  id: number;
  isNew: boolean;
  fields: Record<string, ScalarValue>;
  /**
   * `fields` is another's object until the batch changes it: a new contact's first input's, a stored
   * contact's `original`. Copying every 45-field row up front was 17% of an import's allocations.
   */
  sharedFields: boolean;
  original?: Record<string, ScalarValue>;
  dirty: boolean;
}

/** One heat-status or contact-status history row a batch writes. */
interface StatusHistoryRow {
  table: "heat" | "status";
  contactId: number;
  statusId: number | null;
  reason: string;
  at: string | null;
}

class BatchRejected extends Error {}

const alwaysLoaded = [
  "heatStatusId",
  "contactStatusId",
  "sourceModifiedAt",
  "email",
  "givenName",
  "surname",
  "dateOfBirth",
];

const referenceFields = contactFields.filter((f) => f.type === "reference");
const referenceFieldNames = referenceFields.map((f) => f.name);

// From this many new contacts in a batch, PostgreSQL gets them by COPY (one more round trip, a cheaper
// read); smaller batches keep the insert inside the batch's one statement of writes.
const copyFromRows = 200;

/**
 * Creates or updates a batch of contacts in one transaction: validate, lock the match keys, match,
 * merge in input order (two inputs for one contact apply one after the other), then write set-based.
 */
export async function upsertContacts(
  db: Kysely<Database>,
  inputs: ContactInput[],
  options: UpsertOptions,
): Promise<UpsertOutcome> {
  let outcome: UpsertOutcome | undefined;
  try {
    await db.transaction().execute(async (trx) => {
      outcome = await upsertContactsInTransaction(trx, inputs, options);
      if (!outcome.committed) throw new BatchRejected();
    });
  } catch (error) {
    if (error instanceof BatchRejected && outcome) return outcome;
    throw error;
  }
  const done = outcome as UpsertOutcome;
  noteContactRowsWritten(
    db,
    done.results.filter((r) => r.status === "created" || r.status === "updated").length,
  );
  return done;
}

/**
 * The same batch inside a caller's transaction, so the caller can commit its own rows with the contacts
 * (an import's checkpoint). When allOrNone refuses the batch nothing is written and `committed` is false;
 * the caller decides whether to roll back. The caller notes the rows written for statistics after commit.
 */
export async function upsertContactsInTransaction(
  trx: Transaction<Database>,
  inputs: ContactInput[],
  options: UpsertOptions,
): Promise<UpsertOutcome> {
  const { fieldPath } = options;
  const results: UpsertResult[] = inputs.map((_, index) => ({ index, status: "unchanged", errors: [] }));
  // The engine's errors name canonical fields; they are named as the caller's wire or file does here, once.
  // A dialect hook's errors come named already (`named`).
  const fail = (index: number, errors: readonly FieldError[], named = false) => {
    results[index].status = "error";
    for (const e of errors) results[index].errors.push(named ? e : shownAs(e, index, fieldPath));
    delete results[index].id;
  };

  for (const [index, input] of inputs.entries()) {
    const errors = options.validated?.[index] ?? validateContactInput(input, index);
    if (errors.length > 0) fail(index, errors);
  }
  const requireKey = options.requireMatchKey ?? true;
  const keys = inputs.map((input) => matchKeyOf(input, options.idProperty));
  for (const [index, key] of keys.entries()) {
    // An input that names its contact's own id needs no other key: the id is that contact (below).
    if (key === null && requireKey && inputs[index].id === undefined && results[index].status !== "error") {
      const input = inputs[index];
      fail(index, [
        fieldError(
          "CONTACT_MATCH_KEY_MISSING",
          matchKeyField(input, options.idProperty),
          matchKeyMissingMessage(input, options.idProperty),
          index,
        ),
      ]);
    }
  }
  const refused = () => options.mode === "allOrNone" && results.some((r) => r.status === "error");
  if (refused()) return { results, committed: false };
  if (inputs.length > 0 && results.some((r) => r.status !== "error"))
    await applyBatch(trx, inputs, keys, results, fail, options);
  if (refused()) {
    for (const r of results) if (r.status !== "error") delete r.id;
    return { results, committed: false };
  }
  return { results, committed: true };
}

async function applyBatch(
  trx: Transaction<Database>,
  inputs: ContactInput[],
  keys: Array<string | null>,
  results: UpsertResult[],
  fail: (index: number, errors: readonly FieldError[], named?: boolean) => void,
  options: UpsertOptions,
): Promise<void> {
  const { tenantId } = options;
  const entries = inputs.map((input, index) => ({ input, index, key: keys[index] }));
  const live = () => entries.filter((x) => results[x.index].status !== "error");
  const kind = idPropertyName(options.idProperty);

  // Serialise concurrent writers on the same people: lock every match key and every identifier this batch
  // claims, in one sorted order so two batches never wait on each other crosswise. Emails are locked too
  // when they take part in matching (idProperty email/pi, or a dialect's fallback match on email).
  const lockEmails =
    options.idProperty === "email" ||
    options.idProperty === "pi" ||
    options.hooks?.fallbackMatch !== undefined;
  const lockNames = new Set<string>();
  for (const { input, key } of live()) {
    if (key !== null) lockNames.add(contactLockName(tenantId, kind, key));
    // for…in, not Object.entries, here and below: no pair arrays per identifier of a 2,000-row chunk.
    for (const scheme in input.identifiers)
      lockNames.add(contactLockName(tenantId, scheme, input.identifiers[scheme].trim()));
    const email = input.fields.email;
    if (lockEmails && typeof email === "string" && email.trim() !== "")
      lockNames.add(contactLockName(tenantId, "email", email.trim().toLowerCase()));
  }
  await lockContactKeys(trx, tenantId, lockNames);

  // Identifiers already owned by someone: an input may not take another contact's identifier. When the
  // idProperty is an identifier scheme, the same rows are the match, so one query serves both.
  const claimed = new Map<string, number>();
  const identifierSchemes: string[] = [];
  const identifierValues: string[] = [];
  for (const { input } of live()) {
    for (const scheme in input.identifiers) {
      identifierSchemes.push(scheme);
      identifierValues.push(input.identifiers[scheme].trim());
    }
  }
  if (identifierSchemes.length > 0) {
    const rows = await sql<{ scheme: string; value: string; contactId: number }>`
      select scheme, value, contact_id from contact_identifiers
      where tenant_id = ${tenantId} and (scheme, value) in (select * from unnest(${arrayParameter(identifierSchemes, "text")}, ${arrayParameter(identifierValues, "text")}))`.execute(
      trx,
    );
    for (const row of rows.rows) claimed.set(`${row.scheme}\u001f${row.value}`, Number(row.contactId));
  }

  // Match on the idProperty, set-based.
  const matched = new Map<string, number>();
  const distinctKeys = [
    ...new Set(
      live()
        .map((x) => x.key)
        .filter((k): k is string => k !== null),
    ),
  ];
  if (typeof options.idProperty === "object") {
    const scheme = options.idProperty.scheme;
    for (const key of distinctKeys) {
      const owner = claimed.get(`${scheme}\u001f${key}`);
      if (owner !== undefined) matched.set(key, owner);
    }
  } else if (distinctKeys.length > 0) {
    for (const row of await findByKeys(trx, tenantId, options.idProperty, distinctKeys))
      matched.set(row.key, row.id);
  }
  // An input that names its contact's own id is that contact, whatever the idProperty (Hobsons CrmNumber);
  // an id that names no contact of the tenant is the input's error, never a silent create.
  const byId = new Map<number, number>();
  if (options.idProperty !== "id") {
    const named = live().filter((x) => x.input.id !== undefined);
    if (named.length > 0) {
      const known = new Set(
        (
          await findByKeys(
            trx,
            tenantId,
            "id",
            named.map((x) => String(x.input.id)),
          )
        ).map((r) => r.id),
      );
      for (const { index, input } of named) {
        if (known.has(input.id as number)) byId.set(index, input.id as number);
        else fail(index, [fieldError("CONTACT_ID_UNKNOWN", "id", `No contact has id ${input.id}`, index)]);
      }
    }
  }
  const fallback = new Map<number, number>();
  if (options.hooks?.fallbackMatch) {
    const unmatched = live().filter((x) => !byId.has(x.index) && (x.key === null || !matched.has(x.key)));
    if (unmatched.length > 0) {
      for (const [index, id] of await options.hooks.fallbackMatch(trx, tenantId, unmatched))
        fallback.set(index, id);
    }
  }
  if (options.idProperty === "id") {
    for (const { index, key } of live()) {
      if (key !== null && !matched.has(key)) {
        fail(index, [fieldError("CONTACT_ID_UNKNOWN", "id", `No contact has id ${key}`, index)]);
      }
    }
  }

  const storedIds = [...new Set([...byId.values(), ...matched.values(), ...fallback.values()])];
  const stored = new Map<number, Record<string, ScalarValue>>();
  if (storedIds.length > 0) {
    // Read back only what this batch may change (plus the fields history and dialect clocks compare):
    // comparing 12 written fields needs 12 stored ones, not 100.
    const wanted = new Set(alwaysLoaded);
    for (const { input } of live()) for (const name in input.fields) wanted.add(name);
    const fields = contactFields.filter((f) => wanted.has(f.name));
    for (const row of await readStoredRows(trx, tenantId, storedIds, fields)) {
      const Read = storedRowReaders.compiledFor(row);
      stored.set(Number(row.id), Read ? new Read(row) : normaliseStoredRow(row, wanted));
    }
  }

  const refs = await loadReferences(
    trx,
    tenantId,
    live().map((x) => x.input),
  );

  const pending = new Map<number, Pending>();
  const pendingByKey = new Map<string, number>();
  const pendingByFallbackKey = new Map<string, number>();
  // A contact holds one value per scheme: the batch's last word for each (contact, scheme) it names.
  const newIdentifiers = new Map<
    string,
    { scheme: string; value: string; contactId: number; stored: boolean }
  >();
  const history: StatusHistoryRow[] = [];
  const children: Array<{ contactId: number; input: ContactInput; index: number }> = [];
  const reasons = options.defaultReasons ?? defaultReasons;
  const newCount = live().filter(
    (x) => !byId.has(x.index) && !(x.key !== null && matched.has(x.key)) && !fallback.has(x.index),
  ).length;
  const freshIds = newCount > 0 ? await allocateContactIds(trx, newCount) : [];
  const createdInBatch = new Set<number>();
  let nextFreshId = 0;

  for (const { input, index, key } of live()) {
    // A dialect's fallback key lets two new inputs of one batch that are the same person become one contact.
    const fallbackKey = options.hooks?.fallbackKey?.(input) ?? null;
    const matchedId =
      byId.get(index) ??
      (key !== null ? (pendingByKey.get(key) ?? matched.get(key)) : undefined) ??
      fallback.get(index) ??
      (fallbackKey !== null ? pendingByFallbackKey.get(fallbackKey) : undefined);
    let target = matchedId !== undefined ? pending.get(matchedId) : undefined;
    if (matchedId !== undefined && !target) {
      const fields = stored.get(matchedId);
      if (fields)
        target = { id: matchedId, isNew: false, fields, original: fields, dirty: false, sharedFields: true };
    }
    if (!target && options.updateOnly) {
      fail(index, [fieldError("CONTACT_NOT_FOUND", undefined, "No contact matches this input", index)]);
      continue;
    }
    const errors: FieldError[] = [];
    const current = target?.fields;
    // Only the reference fields, not every field of a 45-column row.
    for (const spec of referenceFields) {
      const name = spec.name;
      const value = input.fields[name];
      if (typeof value !== "number") continue;
      const ref = refs.get(value);
      if (!ref || ref.kind !== spec.reference) {
        errors.push(
          fieldError(
            "CONTACT_REFERENCE_UNKNOWN",
            name,
            `${name} ${value} is not a ${referenceLabel(spec.reference)} of this tenant`,
            index,
          ),
        );
      } else if (!ref.active && current?.[name] !== value) {
        errors.push(
          fieldError(
            "CONTACT_REFERENCE_INACTIVE",
            name,
            `${name} ${value} (${ref.name}) is deactivated`,
            index,
          ),
        );
      }
    }
    for (const scheme in input.identifiers) {
      const raw = input.identifiers[scheme];
      const owner = claimed.get(`${scheme}\u001f${raw.trim()}`);
      if (owner !== undefined && owner !== target?.id) {
        errors.push(
          fieldError(
            "CONTACT_IDENTIFIER_TAKEN",
            `identifiers.${scheme}`,
            `${scheme} '${raw}' already belongs to contact ${owner}`,
            index,
          ),
        );
      }
    }
    // The dialect's checks run even when the engine already found errors, so that every violation of an
    // input is reported at once; a "skip" only counts for an otherwise valid input.
    if (options.hooks?.check) {
      const verdict = options.hooks.check(input, target && { id: target.id, fields: target.fields }, refs);
      if (verdict === "skip" && errors.length === 0) {
        results[index] = { index, status: "skipped", id: target?.id, errors: [] };
        continue;
      }
      if (verdict !== "skip" && verdict.length > 0) {
        fail(index, errors);
        fail(index, verdict, true);
        continue;
      }
    }
    if (errors.length > 0) {
      fail(index, errors);
      continue;
    }

    let changed = false;
    const justCreated = !target;
    if (!target) {
      const id = freshIds[nextFreshId++];
      const fields = newContactFields(input.fields);
      target = { id, isNew: true, fields, dirty: true, sharedFields: fields === input.fields };
      changed = true;
      addStatusHistory(
        history,
        target.id,
        input,
        undefined,
        reasons.heatStatusCreated,
        reasons.contactStatusCreated,
      );
    } else {
      addStatusHistory(
        history,
        target.id,
        input,
        target.fields,
        reasons.heatStatusChanged,
        reasons.contactStatusChanged,
      );
    }
    // A contact this input just created holds the input's fields already.
    if (!justCreated)
      for (const name in input.fields) {
        const value = input.fields[name];
        if (!sameValue(target.fields[name], value)) {
          if (target.sharedFields) {
            target.fields = { ...target.fields };
            target.sharedFields = false;
          }
          target.fields[name] = value;
          target.dirty = true;
          changed = true;
        }
      }
    pending.set(target.id, target);
    if (key !== null) pendingByKey.set(key, target.id);
    if (fallbackKey !== null) pendingByFallbackKey.set(fallbackKey, target.id);
    for (const scheme in input.identifiers) {
      const value = input.identifiers[scheme].trim();
      const slot = `${target.id}\u001f${scheme}`;
      const earlier = newIdentifiers.get(slot);
      if (earlier ? earlier.value === value : claimed.get(`${scheme}\u001f${value}`) === target.id) continue;
      // A value an earlier input of the batch gave this contact, now replaced, is free again.
      if (earlier && !earlier.stored) claimed.delete(`${scheme}\u001f${earlier.value}`);
      // Claimed by this contact yet not its slot's value: it was stored (claims a batch made and replaced go).
      const stored = claimed.get(`${scheme}\u001f${value}`) === target.id;
      claimed.set(`${scheme}\u001f${value}`, target.id);
      newIdentifiers.set(slot, { scheme, value, contactId: target.id, stored });
      target.dirty = true;
      changed = true;
    }
    if (hasChildren(input)) children.push({ contactId: target.id, input, index });
    // A set, not a scan of the results: a scan per input made 2,000-input batches quadratic.
    const wasCreatedInBatch = target.isNew && createdInBatch.has(target.id);
    if (target.isNew) createdInBatch.add(target.id);
    results[index] = {
      index,
      status: target.isNew && !wasCreatedInBatch ? "created" : changed ? "updated" : "unchanged",
      id: target.id,
      errors: [],
    };
  }

  if (options.mode === "allOrNone" && results.some((r) => r.status === "error")) return;

  const created = [...pending.values()].filter((p) => p.isNew);
  const updated = [...pending.values()].filter((p) => !p.isNew && p.dirty);
  // The batch's writes of contacts, identifiers and history go to the server as one statement of
  // data-modifying CTEs: each statement is a round trip and a parse and plan, and a batch of 100 made up to
  // six of them. The CTEs write disjoint rows and no constraint ties them, so their order does not matter.
  const writes: Array<RawBuilder<unknown>> = [];
  const createdFields = new Set<string>();
  for (const p of created) for (const name in p.fields) createdFields.add(name);
  if (created.length >= copyFromRows && !onPglite(trx)) {
    // Before the statement below: its identifiers and history rows refer to these contacts.
    await copyNewContacts(
      tenantId,
      options.actor,
      created.map((p) => p.id),
      created.map((p) => p.fields),
      recordsetFragments(createdFields).fields,
    ).execute(trx);
  } else if (created.length > 0) {
    const set = recordsetFragments(createdFields);
    const columns = set.count > 0 ? `, ${set.columns}` : "";
    const values = set.count > 0 ? `, ${set.values}` : "";
    const recordset = columnarRecordset(
      created.map((p) => p.id),
      created.map((p) => p.fields),
      set.fields,
    );
    writes.push(sql`
      insert into contacts (tenant_id, id${sql.raw(columns)}, created_by, modified_by)
      select ${tenantId}, t.id${sql.raw(values)}, ${options.actor}, ${options.actor}
      from ${recordset}`);
  }
  if (updated.length > 0) {
    // Only fields some input of the batch changed are written; every row carries its merged value for each.
    const changed = new Set<string>();
    for (const p of updated)
      for (const name in p.fields) if (p.fields[name] !== p.original?.[name]) changed.add(name);
    const set = recordsetFragments(changed);
    const recordset = columnarRecordset(
      updated.map((p) => p.id),
      updated.map((p) => p.fields),
      set.fields,
    );
    const assignments = set.count > 0 ? `${set.assignments}, ` : "";
    writes.push(sql`
      update contacts c set ${sql.raw(assignments)}modified_at = now(), modified_by = ${options.actor}
      from ${recordset}
      where c.tenant_id = ${tenantId} and c.id = t.id`);
  }
  if (newIdentifiers.size > 0) {
    const given = [...newIdentifiers.values()];
    // A new value for a scheme replaces the contact's other one (an external id is a field of the person,
    // as in Salesforce and HubSpot): until 2026-12-06 it was added beside it, and reads showed one of them.
    // Contacts this batch creates hold none.
    const replacing = given.filter((i) => !createdInBatch.has(i.contactId));
    // (scheme, value, contact_id) rows of identifiers, as a set-returning expression.
    const rowsOf = (list: typeof given) =>
      sql`unnest(${arrayParameter(
        list.map((i) => i.scheme),
        "text",
      )}, ${arrayParameter(
        list.map((i) => i.value),
        "text",
      )}, ${arrayParameter(
        list.map((i) => i.contactId),
        "bigint",
      )})`;
    if (replacing.length > 0)
      writes.push(sql`
        delete from contact_identifiers ci using ${rowsOf(replacing)} as n(scheme, value, contact_id)
        where ci.tenant_id = ${tenantId} and ci.contact_id = n.contact_id and ci.scheme = n.scheme
          and ci.value <> n.value`);
    const adding = given.filter((i) => !i.stored);
    if (adding.length > 0)
      writes.push(sql`
        insert into contact_identifiers (tenant_id, scheme, value, contact_id)
        select ${tenantId}, * from ${rowsOf(adding)}`);
  }
  writes.push(...historyWrites(tenantId, options.actor, history));
  if (writes.length === 1) await writes[0].execute(trx);
  else if (writes.length > 1) {
    const parts = writes.map((w, i) => sql`${sql.raw(`w${i}`)} as (${w})`);
    await sql`with ${sql.join(parts, sql`, `)} select 1`.execute(trx);
  }
  if (children.length > 0) {
    const { touched, addedBy } = await writeChildren(trx, tenantId, options.actor, children);
    // Only the inputs whose own items went in: two inputs for one contact, one adding a note and one
    // repeating a stored tag, are `updated` and `unchanged`.
    for (const { index } of children) {
      if (addedBy.has(index) && results[index].status === "unchanged") results[index].status = "updated";
    }
    if (touched.size > 0) {
      const ids = [...touched].filter(
        (id) => !created.some((c) => c.id === id) && !updated.some((u) => u.id === id),
      );
      if (ids.length > 0) {
        await sql`update contacts set modified_at = now(), modified_by = ${options.actor} where tenant_id = ${tenantId} and id = any(${ids}::bigint[])`.execute(
          trx,
        );
      }
    }
  }
}

function referenceLabel(kind: ReferenceKind | undefined): string {
  return (kind ?? "reference").replace("_", "-");
}

/** Adds the history rows an input's heat and contact status make (none when neither changes). */
function addStatusHistory(
  history: StatusHistoryRow[],
  contactId: number,
  input: ContactInput,
  before: Record<string, ScalarValue> | undefined,
  heatReason: string,
  statusReason: string,
): void {
  const at = input.contactStatusDate ?? null;
  if (
    "heatStatusId" in input.fields &&
    (before === undefined
      ? input.fields.heatStatusId !== null
      : before.heatStatusId !== input.fields.heatStatusId)
  ) {
    history.push({
      table: "heat",
      contactId,
      statusId: input.fields.heatStatusId as number | null,
      reason: input.heatStatusReason || heatReason,
      at: null,
    });
  }
  if (
    "contactStatusId" in input.fields &&
    (before === undefined
      ? input.fields.contactStatusId !== null
      : before.contactStatusId !== input.fields.contactStatusId)
  ) {
    history.push({
      table: "status",
      contactId,
      statusId: input.fields.contactStatusId as number | null,
      reason: input.contactStatusReason || statusReason,
      at,
    });
  }
}

/** The inserts of a batch's heat-status and contact-status history rows (none, one or two statements). */
function historyWrites(
  tenantId: number,
  actor: string,
  history: StatusHistoryRow[],
): Array<RawBuilder<unknown>> {
  const writes: Array<RawBuilder<unknown>> = [];
  for (const table of ["heat", "status"] as const) {
    const rows = history.filter((h) => h.table === table);
    if (rows.length === 0) continue;
    const target =
      table === "heat"
        ? sql.raw(
            "contact_heat_status_history (tenant_id, contact_id, heat_status_id, reason, changed_at, actor)",
          )
        : sql.raw(
            "contact_status_history (tenant_id, contact_id, contact_status_id, reason, changed_at, actor)",
          );
    writes.push(sql`
      insert into ${target}
      select ${tenantId}, c, s, r, coalesce(a, now()), ${actor}
      from unnest(${rows.map((h) => h.contactId)}::bigint[], ${rows.map((h) => h.statusId)}::bigint[], ${rows.map((h) => h.reason)}::text[], ${rows.map((h) => h.at)}::timestamptz[]) as u(c, s, r, a)`);
  }
  return writes;
}

/** Whether an input adds tags, consents, activities, communications, notes or tasks. */
export function hasChildren(input: ContactInput): boolean {
  return Boolean(
    input.tags?.length ||
      input.consents?.length ||
      input.activities?.length ||
      input.communications?.length ||
      input.notes?.length ||
      input.tasks?.length,
  );
}

/** Adds tags, consents, activities, communications, notes and tasks; answers the contacts that gained something. */
async function writeChildren(
  trx: Transaction<Database>,
  tenantId: number,
  actor: string,
  children: Array<{ contactId: number; input: ContactInput; index: number }>,
): Promise<{ touched: Set<number>; addedBy: Set<number> }> {
  const touched = new Set<number>();
  const addedBy = new Set<number>();
  // A stored row is the input's that wrote it: the first input with that item for a kept-once item, the last
  // for a consent (the latest answer of a type wins).
  const credit = (
    items: ReadonlyArray<{ contactId: number; key: string; index: number }>,
    stored: ReadonlyArray<{ contactId: number | string; key: string }>,
    last = false,
  ) => {
    const owner = new Map<string, number>();
    for (const item of items) {
      const at = `${item.contactId}\u001f${item.key}`;
      if (last || !owner.has(at)) owner.set(at, item.index);
    }
    for (const row of stored) {
      touched.add(Number(row.contactId));
      const index = owner.get(`${row.contactId}\u001f${row.key}`);
      if (index !== undefined) addedBy.add(index);
    }
  };
  const tags = children.flatMap(({ contactId, input, index }) =>
    (input.tags ?? []).map((t) => ({
      contactId,
      index,
      tag: t.tag.trim(),
      taggedAt: t.taggedAt ? t.taggedAt.slice(0, 10) : null,
    })),
  );
  if (tags.length > 0) {
    const rows = await sql<{ contactId: number; key: string }>`
      insert into contact_tags (tenant_id, contact_id, tag, tagged_at)
      select ${tenantId}, c, t, d from unnest(${tags.map((t) => t.contactId)}::bigint[], ${tags.map((t) => t.tag)}::text[], ${tags.map((t) => t.taggedAt)}::date[]) as u(c, t, d)
      on conflict do nothing returning contact_id, tag as key`.execute(trx);
    credit(
      tags.map((t) => ({ contactId: t.contactId, key: t.tag, index: t.index })),
      rows.rows,
    );
  }
  const consents = children.flatMap(({ contactId, input, index }) =>
    (input.consents ?? []).map((c) => ({
      contactId,
      index,
      type: c.type.trim(),
      granted: c.granted,
      at: c.recordedAt ?? null,
    })),
  );
  if (consents.length > 0) {
    // The latest consent of a type replaces the previous one; an unchanged consent is not a change.
    const rows = await sql<{ contactId: number; key: string }>`
      insert into contact_consents (tenant_id, contact_id, consent_type, granted, recorded_at)
      select distinct on (c, t) ${tenantId}, c, t, g, coalesce(a, now()) from unnest(${consents.map((c) => c.contactId)}::bigint[], ${consents.map((c) => c.type)}::text[], ${consents.map((c) => c.granted)}::boolean[], ${consents.map((c) => c.at)}::timestamptz[]) with ordinality as u(c, t, g, a, n)
      order by c, t, n desc
      on conflict (tenant_id, contact_id, consent_type) do update set granted = excluded.granted, recorded_at = excluded.recorded_at
      where contact_consents.granted is distinct from excluded.granted
      returning contact_id, consent_type as key`.execute(trx);
    credit(
      consents.map((c) => ({ contactId: c.contactId, key: c.type, index: c.index })),
      rows.rows,
      true,
    );
  }
  const simple: Array<{
    table: string;
    columns: string[];
    items: Array<{ contactId: number; index: number; values: unknown[] }>;
    types: string[];
  }> = [
    {
      table: "contact_activities",
      columns: ["kind", "courses"],
      types: ["text", "jsonb"],
      items: children.flatMap(({ contactId, input, index }) =>
        (input.activities ?? []).map((a) => ({
          contactId,
          index,
          values: activityValues(a.kind ?? null, a.courses),
        })),
      ),
    },
    {
      table: "contact_communications",
      columns: communicationColumns.map(([name]) => columnOf(name)),
      types: communicationColumns.map(([, type]) => type),
      items: children.flatMap(({ contactId, input, index }) =>
        (input.communications ?? []).map((c) => ({
          contactId,
          index,
          values: communicationColumns.map(([name]) => c[name] ?? null),
        })),
      ),
    },
    {
      table: "contact_notes",
      columns: ["content", "note_type", "actor"],
      types: ["text", "text", "text"],
      items: children.flatMap(({ contactId, input, index }) =>
        (input.notes ?? []).map((n) => ({
          contactId,
          index,
          values: [n.content, n.noteType ?? null, actor],
        })),
      ),
    },
    {
      table: "contact_tasks",
      columns: ["task_type", "description", "action_date"],
      types: ["text", "text", "date"],
      items: children.flatMap(({ contactId, input, index }) =>
        (input.tasks ?? []).map((t) => ({
          contactId,
          index,
          values: [
            t.taskType ?? null,
            t.description ?? null,
            t.actionDate ? t.actionDate.slice(0, 10) : null,
          ],
        })),
      ),
    },
  ];
  for (const { table, columns, types, items } of simple) {
    if (items.length === 0) continue;
    // Identical items are kept once (by fingerprint), so replaying an import adds nothing.
    const rows = items.map((item) => {
      const record: Record<string, unknown> = {
        contact_id: item.contactId,
        fingerprint: childFingerprint(item.values.filter((_, i) => columns[i] !== "actor")),
      };
      columns.forEach((c, i) => {
        record[c] = item.values[i];
      });
      if (record.courses) record.courses = JSON.parse(record.courses as string);
      return record;
    });
    const defs = ["contact_id bigint", "fingerprint text", ...columns.map((c, i) => `${c} ${types[i]}`)].join(
      ", ",
    );
    const result = await sql<{ contactId: number; key: string }>`
      insert into ${sql.raw(table)} (tenant_id, contact_id, fingerprint, ${sql.raw(columns.join(", "))})
      select ${tenantId}, contact_id, fingerprint, ${sql.raw(columns.join(", "))} from json_to_recordset(${JSON.stringify(rows)}::json) as t(${sql.raw(defs)})
      on conflict do nothing returning contact_id, fingerprint as key`.execute(trx);
    credit(
      items.map((item, i) => ({
        contactId: item.contactId,
        key: rows[i].fingerprint as string,
        index: item.index,
      })),
      result.rows,
    );
  }
  return { touched, addedBy };
}

/** Stored contacts of a tenant by normalised match keys (as `matchKeyOf` builds them); the oldest wins a tie. */
export async function findByKeys(
  trx: Transaction<Database>,
  tenantId: number,
  idProperty: IdProperty,
  keys: string[],
) {
  if (idProperty === "id") {
    const ids = keys.map(Number).filter((n) => Number.isSafeInteger(n));
    const rows = await sql<{
      id: number;
    }>`select id from contacts where tenant_id = ${tenantId} and id = any(${ids}::bigint[])`.execute(trx);
    return rows.rows.map((r) => ({ key: String(r.id), id: Number(r.id) }));
  }
  if (idProperty === "email") {
    // Several stored contacts may share an email; the oldest is the one an email-keyed writer means.
    const rows = await sql<{ key: string; id: number }>`
      select distinct on (lower(email)) lower(email) as key, id from contacts
      where tenant_id = ${tenantId} and lower(email) = any(${keys}::text[]) order by lower(email), id`.execute(
      trx,
    );
    return rows.rows.map((r) => ({ key: r.key, id: Number(r.id) }));
  }
  if (idProperty === "pi") {
    const rows = await sql<{ key: string; id: number }>`
      select distinct on (k) k as key, id from (
        select concat_ws(chr(31), lower(coalesce(trim(email), '')), lower(regexp_replace(trim(coalesce(given_name, '')), '\\s+', ' ', 'g')),
          lower(regexp_replace(trim(coalesce(surname, '')), '\\s+', ' ', 'g')), coalesce(to_char(date_of_birth, 'YYYY-MM-DD'), '')) as k, id
        from contacts where tenant_id = ${tenantId} and lower(surname) = any(${keys.map((k) => k.split("\u001f")[2])}::text[])
      ) s where k = any(${keys}::text[]) order by k, id`.execute(trx);
    return rows.rows.map((r) => ({ key: r.key, id: Number(r.id) }));
  }
  const rows = await sql<{ key: string; id: number }>`
    select value as key, contact_id as id from contact_identifiers
    where tenant_id = ${tenantId} and scheme = ${idProperty.scheme} and value = any(${keys}::text[])`.execute(
    trx,
  );
  return rows.rows.map((r) => ({ key: r.key, id: Number(r.id) }));
}

async function loadReferences(
  trx: Transaction<Database>,
  tenantId: number,
  inputs: ContactInput[],
): Promise<ReferenceIndex> {
  const ids = new Set<number>();
  for (const input of inputs) {
    for (const name of referenceFieldNames) {
      const value = input.fields[name];
      if (typeof value === "number") ids.add(value);
    }
  }
  const index: ReferenceIndex = new Map();
  if (ids.size === 0) return index;
  const rows = await sql<{
    id: number;
    kind: string;
    active: boolean;
    parentId: number | null;
    name: string;
  }>`
    select id, kind, active, parent_id, name from reference_items where tenant_id = ${tenantId} and (id = any(${[...ids]}::bigint[])
      or id in (select parent_id from reference_items where tenant_id = ${tenantId} and id = any(${[...ids]}::bigint[])))`.execute(
    trx,
  );
  for (const r of rows.rows)
    index.set(Number(r.id), {
      kind: r.kind,
      active: r.active,
      parentId: r.parentId === null ? null : Number(r.parentId),
      name: r.name,
    });
  return index;
}

/**
 * The stored contacts' values of the given fields, keyed by field name. PGlite decodes every field of a
 * result in JavaScript: 1,000 rows of 45 columns took 42 ms as rows and 15 ms as one json text given to
 * JSON.parse. PostgreSQL's driver reads the rows faster than the server builds that json (5 against 11 ms),
 * so there the rows come as rows.
 */
async function readStoredRows(
  trx: Transaction<Database>,
  tenantId: number,
  ids: number[],
  fields: ContactFieldSpec[],
): Promise<Array<Record<string, unknown>>> {
  // Columns come back under their field names. On PostgreSQL the rows skip the camel-case plugin, which
  // would build every row again (a third of the garbage of an import's update chunks).
  const pglite = onPglite(trx);
  const select = fields.map((f) =>
    // json writes a timestamp with microseconds and an offset; toISOString's form keeps "unchanged" exact.
    pglite && f.type === "timestamp"
      ? `to_char(${f.column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "${f.name}"`
      : `${f.column} as "${f.name}"`,
  );
  const rows = sql<Record<string, unknown>>`
    select id, ${sql.raw(select.join(", "))} from contacts where tenant_id = ${tenantId} and id = any(${arrayParameter(ids, "bigint")})`;
  if (!pglite) return (await rows.execute(trx.withoutPlugins())).rows;
  // PGlite decodes each field of a result in JavaScript: the rows come faster as one json text.
  const result = await sql<{ rows: string }>`
    select coalesce(json_agg(r), '[]')::text as rows from (${rows}) r`.execute(trx);
  return JSON.parse(result.rows[0].rows);
}

/** A stored row's scalar fields in the same normal form validation produces, so equality means unchanged. */
export function normaliseStoredRow(
  row: Record<string, unknown>,
  only?: ReadonlySet<string>,
): Record<string, ScalarValue> {
  const fields: Record<string, ScalarValue> = {};
  for (const spec of contactFields) {
    if (only && !only.has(spec.name)) continue;
    const value = row[spec.name];
    if (value === null || value === undefined) fields[spec.name] = null;
    else if (value instanceof Date) fields[spec.name] = value.toISOString();
    else if (spec.type === "reference") fields[spec.name] = Number(value);
    else fields[spec.name] = value as ScalarValue;
  }
  return fields;
}

type StoredRowReader = new (row: Record<string, unknown>) => Record<string, ScalarValue>;

/**
 * `normaliseStoredRow` compiled for one layout of stored rows (`id` and the fields a batch reads, by field
 * name) as a constructor (`compilePlainConstructor`): the stored fields, and the copy a change makes of
 * them, are fast-mode objects sized once, not hash tables grown field by field.
 */
function compileStoredRowReader(keys: readonly string[]): StoredRowReader | null {
  const lines = ["let v;"];
  for (const key of keys) {
    if (key === "id") continue;
    const spec = contactFieldsByName.get(key);
    if (!spec) return null;
    const value = spec.type === "reference" ? "Number(v)" : "v";
    lines.push(
      `v = row[${JSON.stringify(key)}]; ${thisProperty(key)} = v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : ${value};`,
    );
  }
  return compilePlainConstructor<Record<string, ScalarValue>, [Record<string, unknown>]>(["row"], lines);
}

const storedRowReaders = new LayoutCache(compileStoredRowReader);

/**
 * A new contact's first values: the input's fields without the nulls (a new contact has nothing to clear).
 * An input without nulls gives its own object, not a copy (a copy of a 45-field input was 17% of an
 * import's allocations); the engine copies it before a later input of the batch changes it.
 */
function newContactFields(fields: Record<string, ScalarValue>): Record<string, ScalarValue> {
  for (const name in fields) {
    if (fields[name] === null || fields[name] === undefined) {
      const out: Record<string, ScalarValue> = {};
      for (const key in fields) if (fields[key] !== null && fields[key] !== undefined) out[key] = fields[key];
      return out;
    }
  }
  return fields;
}

function sameValue(a: ScalarValue | undefined, b: ScalarValue): boolean {
  return (a ?? null) === b;
}

export type { ErrorCode };

/** Takes `count` new contact ids from the sequence, in one round trip. */
async function allocateContactIds(trx: Transaction<Database>, count: number): Promise<number[]> {
  const rows = await sql<{ ids: string }>`select ${newContactIds(count)} as ids`.execute(trx);
  return parseContactIds(rows.rows[0].ids);
}

/** Whether a transaction runs on the embedded engine (PGlite), which takes some statements in other forms. */
function onPglite(trx: Transaction<Database>): boolean {
  return trx.getExecutor().adapter instanceof PGliteAdapter;
}

/** An engine error as the caller's `fieldPath` names its field: in its path, and where its message names it. */
function shownAs(error: FieldError, index: number, fieldPath: UpsertOptions["fieldPath"]): FieldError {
  if (!fieldPath || error.field === undefined) return error;
  const path = fieldPath(index, error.field);
  // A wire path's last step (`contacts[0].Email` → `Email`) is the name its message should say.
  return renameErrorField(error, path, path.slice(path.lastIndexOf("].") + 1).replace(/^\./, ""));
}
