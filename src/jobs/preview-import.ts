import type { ContactInput } from "../core/contact.js";
import { TributaryError } from "../core/errors.js";
import { parseIdProperty } from "../core/match-key.js";
import { FileRejectedError, type RecordOutcome } from "../formats/records.js";
import { upsertContactsInTransaction } from "../store/contacts/upsert-contacts.js";
import type { Store } from "../store/database.js";
import type { RowStatus } from "../store/imports/import-results.js";
import { checkImportRequest, type ImportRequest } from "./create-import.js";
import { ColumnMapper } from "./header-mapping.js";
import { readUploadRecords } from "./read-upload-records.js";
import { loadReferenceLookup } from "./reference-lookup.js";

export const previewRows = 50;

class PreviewDone extends Error {}

export interface PreviewRow {
  row: number;
  status: RowStatus;
  contactId: number | null;
  /** the canonical fields the row maps to (after conversion, before the engine's normalisation) */
  fields?: Record<string, unknown>;
  errors: Array<{ code: string; field: string | null; message: string }>;
}

/**
 * Maps and validates the first rows of a file the way the job would, running the engine inside a
 * transaction that is always rolled back: it says which rows would be created, updated or refused,
 * and writes nothing.
 */
export async function previewImport(store: Store, request: ImportRequest, body: AsyncIterable<Buffer>) {
  const { shape, idProperty } = checkImportRequest(request);
  const mapper = new ColumnMapper(shape, request.mapping ?? null);
  const context = { references: await loadReferenceLookup(store, request.tenantId) };
  const outcomes = readUploadRecords(body, request.format);
  const sample: RecordOutcome[] = [];
  const columns = new Set<string>();
  try {
    for await (const outcome of outcomes) {
      if (outcome.kind === "record") for (const column of Object.keys(outcome.fields)) columns.add(column);
      sample.push(outcome);
      if (sample.length >= previewRows) break;
    }
  } catch (error) {
    if (error instanceof FileRejectedError)
      throw new TributaryError("REQUEST_BODY_INVALID", `${error.code}: ${error.message}`, [
        { code: "REQUEST_BODY_INVALID", field: "file", message: error.message },
      ]);
    throw error;
  }
  const rows: PreviewRow[] = [];
  const inputs: ContactInput[] = [];
  const slots: number[] = [];
  for (const outcome of sample) {
    if (outcome.kind === "error") {
      rows.push({
        row: outcome.row,
        status: "error",
        contactId: null,
        errors: [{ code: outcome.code, field: null, message: outcome.message }],
      });
      continue;
    }
    const shaped = shape.toContactInput(mapper.apply(outcome.fields), outcome.row, context);
    if ("errors" in shaped) {
      rows.push({
        row: outcome.row,
        status: "error",
        contactId: null,
        errors: shaped.errors.map((e) => ({
          code: e.code,
          field: e.field ? (mapper.columnOf.get(e.field) ?? e.field) : null,
          message: e.message,
        })),
      });
      continue;
    }
    slots.push(rows.length);
    rows.push({
      row: outcome.row,
      status: "unchanged",
      contactId: null,
      fields: { ...shaped.input.fields },
      errors: [],
    });
    inputs.push(shaped.input);
  }
  await store.db
    .transaction()
    .execute(async (trx) => {
      const outcome = await upsertContactsInTransaction(trx, inputs, {
        tenantId: request.tenantId,
        idProperty: parseIdProperty(idProperty) as NonNullable<ReturnType<typeof parseIdProperty>>,
        mode: "partial",
        actor: request.actor,
        fieldPath: (_i, field) => {
          const target = shape.targetOfField?.(field) ?? field;
          return mapper.columnOf.get(target) ?? target;
        },
      });
      for (const result of outcome.results) {
        const row = rows[slots[result.index]];
        row.status = result.status;
        // An id the rollback takes back would mislead; only matches of stored contacts are shown.
        row.contactId = result.status === "created" ? null : (result.id ?? null);
        row.errors = result.errors.map((e) => ({ code: e.code, field: e.field ?? null, message: e.message }));
      }
      throw new PreviewDone();
    })
    .catch((error) => {
      if (!(error instanceof PreviewDone)) throw error;
    });
  const mapping = mapper.describe(columns);
  return {
    format: request.format,
    shape: shape.name,
    idProperty,
    mapping,
    unmappedColumns: Object.entries(mapping)
      .filter(([, target]) => target === null)
      .map(([column]) => column),
    rows,
  };
}
