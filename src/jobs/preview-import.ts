import { type ContactCollection, type ContactInput, contactCollections } from "../core/contact.js";
import { TributaryError } from "../core/errors.js";
import { requireIdProperty } from "../core/match-key.js";
import { FileRejectedError, type RecordOutcome } from "../formats/records.js";
import { upsertContactsInTransaction } from "../store/contacts/upsert-contacts.js";
import type { Store } from "../store/database.js";
import type { RowStatus } from "../store/imports/import-results.js";
import { checkFileColumns, checkImportRequest, type ImportRequest } from "./create-import.js";
import { ColumnMapper } from "./header-mapping.js";
import { readUploadRecords } from "./read-upload-records.js";
import { loadShapeContext } from "./reference-lookup.js";
import { importUpsertOptions, prepareChunk, settleChunk } from "./shape-chunk.js";

export const previewRows = 50;

class PreviewDone extends Error {}

export interface PreviewRow {
  row: number;
  status: RowStatus;
  contactId: number | null;
  /** the canonical fields the row maps to (after conversion, before the engine's normalisation) */
  fields?: Record<string, unknown>;
  /** the identifiers the row carries (external ids and personal identifiers), when any */
  identifiers?: Record<string, string>;
  /** the row's other parts when it has them: tags, consents, notes… as the job would write them */
  related?: Partial<Pick<ContactInput, ContactCollection>>;
  errors: Array<{ code: string; field: string | null; message: string }>;
}

/**
 * Maps and validates the first rows of a file the way the job would, running the engine inside a
 * transaction that is always rolled back: it says which rows would be created, updated or refused,
 * and writes nothing.
 */
export async function previewImport(store: Store, request: ImportRequest, body: AsyncIterable<Buffer>) {
  const { shape, idProperty, encoding, dateFormat } = checkImportRequest(request);
  const mapper = new ColumnMapper(shape, request.mapping ?? null);
  const context = await loadShapeContext(store, request.tenantId, dateFormat);
  const outcomes = readUploadRecords(body, request.format, encoding);
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
  // What the upload would refuse as a whole, the preview refuses alike, with the same words.
  const first = sample.find((outcome) => outcome.kind === "record");
  if (first?.kind === "record")
    checkFileColumns(Object.keys(first.fields), shape, {
      format: request.format,
      idProperty,
      mapping: request.mapping ?? null,
    });
  const prepared = prepareChunk(shape, mapper, sample, context);
  await store.db
    .transaction()
    .execute(async (trx) => {
      const outcome = await upsertContactsInTransaction(
        trx,
        prepared.inputs,
        importUpsertOptions(
          shape,
          mapper,
          {
            tenantId: request.tenantId,
            idProperty: requireIdProperty(idProperty),
            actor: request.actor,
          },
          prepared,
        ),
      );
      settleChunk(prepared, outcome.results);
      throw new PreviewDone();
    })
    .catch((error) => {
      if (!(error instanceof PreviewDone)) throw error;
    });
  const inputOf = new Map<number, ContactInput>();
  for (const [i, slots] of prepared.inputSlots.entries())
    for (const slot of slots) inputOf.set(slot, prepared.inputs[i]);
  // An id the rollback takes back would mislead: only matches of stored contacts are shown, not the contact a
  // row would create, nor that same contact where a later row of the preview updates it.
  const wouldCreate = new Set<number>();
  for (const [slot, status] of prepared.statuses.entries())
    if (status === "created") wouldCreate.add(prepared.contactIds[slot]);
  const rows: PreviewRow[] = sample.map((outcome, slot) => {
    const status = prepared.statuses[slot];
    const id = prepared.contactIds[slot];
    const row: PreviewRow = {
      row: outcome.row,
      status,
      contactId: status === "error" || wouldCreate.has(id) ? null : id || null,
      errors: prepared.errors
        .filter((e) => e.row === outcome.row)
        .map((e) => ({ code: e.code, field: e.field ?? null, message: e.message })),
    };
    const input = inputOf.get(slot);
    if (input) {
      row.fields = { ...input.fields };
      if (input.identifiers && Object.keys(input.identifiers).length > 0)
        row.identifiers = { ...input.identifiers };
      const related: Partial<Pick<ContactInput, ContactCollection>> = {};
      for (const part of contactCollections) {
        const items = input[part];
        if (items && items.length > 0) Object.assign(related, { [part]: items });
      }
      if (Object.keys(related).length > 0) row.related = related;
    }
    return row;
  });
  const mapping = mapper.describe(columns);
  return {
    format: request.format,
    encoding,
    dateFormat,
    shape: shape.name,
    idProperty,
    mapping,
    unmappedColumns: Object.entries(mapping)
      .filter(([, target]) => target === null)
      .map(([column]) => column),
    rows,
  };
}

/** What a preview answers: the mapping in effect, the columns it leaves out, the first rows' outcomes. */
export type ImportPreview = Awaited<ReturnType<typeof previewImport>>;
