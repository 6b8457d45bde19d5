import type { ContactInput } from "../core/contact.js";
import { renameErrorField } from "../core/errors.js";
import type { RecordOutcome } from "../formats/records.js";
import type { UpsertOptions, UpsertResult } from "../store/contacts/upsert-contacts.js";
import type { RowError, RowStatus } from "../store/imports/import-results.js";
import type { ColumnMapper } from "./header-mapping.js";
import type { ImportShape, ShapeContext, ShapedChunk } from "./import-shapes.js";

/** A chunk of source rows made ready for the engine: reader and shape errors are settled already. */
export interface PreparedChunk {
  /** per slot, the source row number. The raw cells are not kept: a prepared chunk waits for the database
   * while later ones are read, and its shaped inputs already hold every value it will write. */
  rows: number[];
  /** per slot (position in the chunk): the row's outcome, `error` until the engine says otherwise */
  statuses: RowStatus[];
  contactIds: number[];
  errors: RowError[];
  inputs: ContactInput[];
  /** per input, the slots it came from (one, or several rows of one person for a grouping shape) */
  inputSlots: number[][];
  /**
   * Per input, the column each target that several columns feed was read from in the input's (first) row;
   * absent when no target is fed twice, as in nearly every file.
   */
  sourceColumns?: Array<Record<string, string>>;
}

/** Maps and shapes a chunk's rows the same way for a job and for a preview. */
export function prepareChunk(
  shape: ImportShape,
  mapper: ColumnMapper,
  chunk: RecordOutcome[],
  context: ShapeContext,
): PreparedChunk {
  const prepared = unsettledChunk(chunk);
  const records: Array<Record<string, unknown>> = [];
  const recordSlots: number[] = [];
  for (const [slot, outcome] of chunk.entries()) {
    if (outcome.kind === "error") {
      prepared.errors.push({ row: outcome.row, code: outcome.code, message: outcome.message });
      continue;
    }
    // A row of empty cells (`,,,` as spreadsheets leave below their data, or `{}`) says nothing: skipped,
    // not shaped, so no shape makes an empty contact of it and none fails it for a missing key.
    if (isBlankRecord(outcome.fields)) {
      prepared.statuses[slot] = "skipped";
      continue;
    }
    records.push(mapper.apply(outcome.fields));
    recordSlots.push(slot);
  }
  const shaped = shapeRecords(shape, records, recordSlots, chunk, context);
  const sourcesOf = (slot: number): Record<string, string> | undefined => {
    const outcome = chunk[slot];
    if (mapper.sharedTargets.size === 0 || outcome.kind !== "record") return undefined;
    const sources: Record<string, string> = {};
    for (const target of mapper.sharedTargets) {
      const column = mapper.sourceColumn(target, outcome.fields);
      if (column !== undefined) sources[target] = column;
    }
    return sources;
  };
  for (const { slot, error } of shaped.errors) {
    const column = columnName(mapper, error.field, sourcesOf(slot));
    const { code, field, message } = column === undefined ? error : renameErrorField(error, column);
    prepared.errors.push({ row: chunk[slot].row, code, field: field ?? null, message });
  }
  for (const { input, slots } of shaped.inputs) {
    prepared.inputs.push(input);
    prepared.inputSlots.push(slots);
  }
  if (mapper.sharedTargets.size > 0)
    prepared.sourceColumns = prepared.inputSlots.map((slots) => sourcesOf(slots[0]) ?? {});
  return prepared;
}

/** Whether a record holds no value at all: every cell empty (CSV) or no key with one (NDJSON `{}`, `{"a": ""}`). */
export function isBlankRecord(fields: Readonly<Record<string, unknown>>): boolean {
  for (const key in fields) if (fields[key] !== "" && fields[key] !== undefined) return false;
  return true;
}

/** A chunk's rows before shaping: every row `error` until the engine says otherwise, no inputs yet. */
function unsettledChunk(chunk: RecordOutcome[]): PreparedChunk {
  return {
    rows: chunk.map((outcome) => outcome.row),
    statuses: new Array<RowStatus>(chunk.length).fill("error"),
    contactIds: new Array<number>(chunk.length).fill(0),
    errors: [],
    inputs: [],
    inputSlots: [],
  };
}

function shapeRecords(
  shape: ImportShape,
  records: Array<Record<string, unknown>>,
  recordSlots: number[],
  chunk: RecordOutcome[],
  context: ShapeContext,
): ShapedChunk {
  // Every row of the chunk failed in the reader: nothing to shape. A grouping shape given no rows answers
  // as its vendor refuses an empty request, with an error that belongs to no row.
  if (records.length === 0) return { inputs: [], errors: [] };
  if (shape.shapeChunk) {
    const grouped = shape.shapeChunk(records, context);
    // The shape counts positions among the records it was given; the chunk also holds reader errors.
    return {
      inputs: grouped.inputs.map(({ input, slots }) => ({ input, slots: slots.map((s) => recordSlots[s]) })),
      errors: grouped.errors.map(({ slot, error }) => ({ slot: recordSlots[slot], error })),
    };
  }
  const toInput = shape.toContactInput;
  if (!toInput) throw new Error(`import shape ${shape.name} has neither toContactInput nor shapeChunk`);
  const out: ShapedChunk = { inputs: [], errors: [] };
  for (const [i, record] of records.entries()) {
    const slot = recordSlots[i];
    const result = toInput(record, chunk[slot].row, context);
    if ("errors" in result) for (const error of result.errors) out.errors.push({ slot, error });
    else out.inputs.push({ input: result.input, slots: [slot] });
  }
  return out;
}

/**
 * The engine's options for a prepared chunk's inputs: partial, the shape's matching, errors named by the
 * file's columns (for a field two columns feed, the one the input's row was read from).
 */
export function importUpsertOptions(
  shape: ImportShape,
  mapper: ColumnMapper,
  base: Pick<UpsertOptions, "tenantId" | "idProperty" | "actor">,
  prepared: Pick<PreparedChunk, "sourceColumns">,
): UpsertOptions {
  const { sourceColumns } = prepared;
  return {
    ...base,
    mode: "partial",
    ...shape.upsert,
    fieldPath: (index, field) => {
      const target = shape.targetOfField?.(field) ?? field;
      return columnName(mapper, target, sourceColumns?.[index]) ?? field;
    },
  };
}

/** Writes the engine's results back onto the chunk's rows (every row of a grouped input shares its outcome). */
export function settleChunk(prepared: PreparedChunk, results: readonly UpsertResult[]): void {
  const { rows, statuses, contactIds, errors, inputSlots } = prepared;
  for (const result of results) {
    for (const slot of inputSlots[result.index]) {
      statuses[slot] = result.status;
      contactIds[slot] = result.id ?? 0;
      for (const e of result.errors)
        errors.push({ row: rows[slot], code: e.code, field: e.field ?? null, message: e.message });
    }
  }
  errors.sort((a, b) => a.row - b.row);
}

/**
 * The file's own column for a shape target or canonical field, so errors name what the user sees: for a
 * target several columns feed, the one the row's `sources` say its value came from.
 */
export function columnName(
  mapper: ColumnMapper,
  field: string | undefined,
  sources?: Readonly<Record<string, string>>,
): string | undefined {
  if (field === undefined) return undefined;
  return sources?.[field] ?? mapper.columnOf.get(field) ?? field;
}
