import type { ContactInput, ScalarValue } from "../../core/contact.js";
import { type ContactFieldSpec, contactFieldsByName } from "../../core/contact-fields.js";
import { type FieldError, fieldError } from "../../core/errors.js";
import { matchKeyField, matchKeyMissingMessage, matchKeyOf } from "../../core/match-key.js";
import { copyCell } from "../copy-in.js";
import { hasChildren, type UpsertResult } from "./upsert-contacts.js";

/**
 * A batch's valid inputs as the set-based writer (`writeFlatRows`) takes them: each one row of COPY text
 * over the fields the batch sets, and its match key. Only inputs that need nothing from the database but
 * their own contact's row qualify (`isFlatInput`). A bulk import's rows nearly always do, and a chunk held
 * as one string per row, not as a 45-field object of 45 strings, costs the garbage collector a fraction
 * while it waits for the database.
 */
export interface FlatRows {
  /** the identifier scheme every row is matched on */
  scheme: string;
  /** the contact fields the rows carry, in the order of their cells */
  fields: readonly ContactFieldSpec[];
  /** per row, the index of the input it came from */
  inputs: number[];
  /** per row, its match key as the engine matches it (`matchKeyOf`: trimmed); two rows may share one */
  keys: string[];
  /**
   * Per row, its fields as COPY text cells joined by tabs: `\N` for a field the input leaves alone and for
   * one it clears (`cleared` tells them apart).
   */
  lines: string[];
  /** per row, null when it clears no field, else a character per field: `1` for each it clears (null) */
  cleared: Array<string | null>;
}

/** A batch ready for the set-based writer: its rows, and every input's result with the refused ones settled. */
export interface FlatBatch {
  rows: FlatRows;
  /** per input: `error` with its errors when refused before the database, else filled in by the writer */
  results: UpsertResult[];
}

/**
 * Whether the set-based writer gives an input exactly what the engine (`upsertContactsInTransaction`) gives
 * it, matched on the identifier `scheme` with no dialect hooks: it names no contact id, no identifier but
 * that one, no children, and no reference field (references are checked against the stored value and the
 * tenant's reference rows; heat and contact status are references too, and their changes write history).
 */
export function isFlatInput(input: ContactInput, scheme: string): boolean {
  if (input.id !== undefined || hasChildren(input)) return false;
  for (const name in input.identifiers) if (name !== scheme) return false;
  for (const name in input.fields) {
    const spec = contactFieldsByName.get(name);
    if (!spec || spec.type === "reference") return false;
  }
  return true;
}

/**
 * Builds flat rows input by input, so a batch read a slice at a time keeps one string per row and lets
 * each input's object go. The field list grows as inputs name new fields; `finish` pads the earlier lines.
 */
export class FlatRowsBuilder {
  readonly #fields: ContactFieldSpec[] = [];
  readonly #position = new Map<string, number>();
  readonly #inputs: number[] = [];
  readonly #keys: string[] = [];
  readonly #lines: string[] = [];
  /** per row, how many fields the list had when its line was made */
  readonly #widths: number[] = [];
  readonly #cleared: Array<string | null> = [];
  #cells: string[] = [];
  /** the field list of the encoded rows whose cells sit where this builder's positions are */
  #encodedFields: readonly ContactFieldSpec[] | null = null;

  constructor(readonly scheme: string) {}

  get rowCount(): number {
    return this.#keys.length;
  }

  /**
   * Adds a valid, normalised (`validateContactInput`) flat input as the next row, with its match key.
   * Call only for inputs `isFlatInput` accepts.
   */
  add(index: number, input: ContactInput, key: string): void {
    const fields = input.fields;
    const cells = this.#cells;
    const width = this.#fields.length;
    for (let f = 0; f < width; f++) cells[f] = "\\N";
    let clears = false;
    for (const name in fields) {
      const value = fields[name];
      if (value === undefined) continue;
      let position = this.#position.get(name);
      if (position === undefined) position = this.#addField(name);
      if (value === null) clears = true;
      cells[position] = copyCell(cellText(value));
    }
    cells.length = this.#fields.length;
    this.#inputs.push(index);
    this.#keys.push(key);
    this.#lines.push(cells.join("\t"));
    this.#widths.push(this.#fields.length);
    this.#cleared.push(
      clears ? this.#fields.map((f) => (fields[f.name] === null ? "1" : "0")).join("") : null,
    );
  }

  /**
   * Adds a row encoded elsewhere (`flatRecordEncoder`) over its own field list: its COPY cells in `line`,
   * `cleared` marking by position the fields it clears. Rows of one layout share its list, which the first
   * one hands to an empty builder; a row over another list has its cells moved to this one's positions.
   */
  addEncoded(
    index: number,
    key: string,
    fields: readonly ContactFieldSpec[],
    line: string,
    cleared: string | null,
  ): void {
    if (this.#keys.length === 0 && this.#fields.length === 0) {
      for (const spec of fields) this.#addField(spec.name);
      this.#encodedFields = fields;
    }
    // The adopted list is where this builder's own positions start: its rows' cells need no moving.
    let width = fields.length;
    if (fields !== this.#encodedFields) {
      const from = fields.length === 0 ? [] : line.split("\t");
      const positions = fields.map((spec) => this.#position.get(spec.name) ?? this.#addField(spec.name));
      width = this.#fields.length;
      const cells = new Array<string>(width).fill("\\N");
      const clears = cleared === null ? null : new Array<string>(width).fill("0");
      for (let i = 0; i < fields.length; i++) {
        cells[positions[i]] = from[i];
        if (clears && cleared?.[i] === "1") clears[positions[i]] = "1";
      }
      line = cells.join("\t");
      cleared = clears?.join("") ?? null;
    }
    this.#inputs.push(index);
    this.#keys.push(key);
    this.#lines.push(line);
    this.#widths.push(width);
    this.#cleared.push(cleared);
  }

  #addField(name: string): number {
    const spec = contactFieldsByName.get(name);
    if (!spec) throw new Error(`unknown contact field ${name}`);
    const position = this.#fields.length;
    this.#fields.push(spec);
    this.#position.set(name, position);
    return position;
  }

  /** The rows, every line with a cell for every field. */
  finish(): FlatRows {
    const width = this.#fields.length;
    const lines = this.#lines;
    for (let row = 0; row < lines.length; row++) {
      const missing = width - this.#widths[row];
      if (missing === 0) continue;
      lines[row] =
        this.#widths[row] === 0
          ? new Array<string>(missing).fill("\\N").join("\t")
          : `${lines[row]}${"\t\\N".repeat(missing)}`;
    }
    return {
      scheme: this.scheme,
      fields: this.#fields,
      inputs: this.#inputs,
      keys: this.#keys,
      lines,
      cleared: this.#cleared,
    };
  }

  /**
   * The rows back as the inputs they were made from (normalised, identifiers trimmed as the engine matches
   * them), by input index: for a batch that must go to the engine after all.
   */
  toInputs(): Map<number, ContactInput> {
    const out = new Map<number, ContactInput>();
    const fields = this.#fields;
    for (let row = 0; row < this.#keys.length; row++) {
      const width = this.#widths[row];
      const cells = width === 0 ? [] : this.#lines[row].split("\t");
      const cleared = this.#cleared[row];
      const values: Record<string, ScalarValue> = {};
      for (let f = 0; f < width; f++) {
        const cell = cells[f];
        if (cell !== "\\N") values[fields[f].name] = fieldValue(fields[f], copyCellText(cell));
        else if (cleared?.[f] === "1") values[fields[f].name] = null;
      }
      out.set(this.#inputs[row], { identifiers: { [this.scheme]: this.#keys[row] }, fields: values });
    }
    return out;
  }
}

/** A field's value as COPY text reads it into the column's type; null for a field absent or cleared. */
function cellText(value: ScalarValue): string | null {
  if (value === null) return null;
  return typeof value === "string" ? value : String(value);
}

/** A cell's text back as the field's normalised value (validation leaves booleans as booleans). */
function fieldValue(spec: ContactFieldSpec, text: string): ScalarValue {
  return spec.type === "boolean" ? text === "true" : text;
}

/** `copyCell` undone. */
function copyCellText(cell: string): string {
  if (!cell.includes("\\")) return cell;
  return cell.replace(/\\(.)/g, (_, c: string) =>
    c === "t" ? "\t" : c === "n" ? "\n" : c === "r" ? "\r" : c,
  );
}

/** An input refused before the database (invalid, or without its match key), kept whole for its error. */
interface Refused {
  input: ContactInput;
  validated: readonly FieldError[];
}

/**
 * Builds a flat batch input by input, in batch order, as long as every valid input is flat: refused inputs
 * are kept whole for their errors, the others only as rows (`FlatRowsBuilder`). An input that is not flat
 * is refused by `add`: the batch then goes to the engine, with `toInputs`.
 */
export class FlatBatchBuilder {
  readonly #rows: FlatRowsBuilder;
  readonly #refused = new Map<number, Refused>();
  #count = 0;

  constructor(readonly scheme: string) {
    this.#rows = new FlatRowsBuilder(scheme);
  }

  /** Inputs added so far. */
  get inputCount(): number {
    return this.#count;
  }

  /**
   * Adds the next input with what `validateContactInput` answered for it (which normalised it); false, and
   * nothing added, when it is valid but not flat.
   */
  add(input: ContactInput, validated: readonly FieldError[]): boolean {
    const key = validated.length > 0 ? null : matchKeyOf(input, { scheme: this.scheme });
    if (key !== null && !isFlatInput(input, this.scheme)) return false;
    const index = this.#count++;
    if (key === null) this.#refused.set(index, { input, validated });
    else this.#rows.add(index, input, key);
    return true;
  }

  /** Adds the next input as a row encoded elsewhere (`flatRecordEncoder`): a valid, flat input. */
  addEncoded(key: string, fields: readonly ContactFieldSpec[], line: string, cleared: string | null): void {
    this.#rows.addEncoded(this.#count++, key, fields, line, cleared);
  }

  /** Every input added so far, as objects, with its validation errors: the batch for the engine. */
  toInputs(): { inputs: ContactInput[]; validated: Array<readonly FieldError[]> } {
    const rows = this.#rows.toInputs();
    const inputs: ContactInput[] = [];
    const validated: Array<readonly FieldError[]> = [];
    for (let index = 0; index < this.#count; index++) {
      const refused = this.#refused.get(index);
      inputs.push(refused?.input ?? (rows.get(index) as ContactInput));
      validated.push(refused?.validated ?? []);
    }
    return { inputs, validated };
  }

  /**
   * The batch: its rows, and each input's result as the engine would answer it before the database (its
   * validation errors, else a missing key, with fields named by `path`), or a placeholder for a row.
   */
  finish(path: (index: number, field: string) => string): FlatBatch {
    const idProperty = { scheme: this.scheme };
    const results: UpsertResult[] = new Array(this.#count);
    for (let index = 0; index < this.#count; index++) {
      const refused = this.#refused.get(index);
      if (!refused) {
        results[index] = { index, status: "unchanged", errors: [] };
      } else if (refused.validated.length > 0) {
        const errors = refused.validated.map((e) => ({ ...e, field: e.field && path(index, e.field) }));
        results[index] = { index, status: "error", errors };
      } else {
        const error = fieldError(
          "CONTACT_MATCH_KEY_MISSING",
          path(index, matchKeyField(refused.input, idProperty)),
          matchKeyMissingMessage(refused.input, idProperty),
          index,
        );
        results[index] = { index, status: "error", errors: [error] };
      }
    }
    return { rows: this.#rows.finish(), results };
  }
}
