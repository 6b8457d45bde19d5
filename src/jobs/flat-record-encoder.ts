import { type ContactFieldSpec, contactFieldsByName } from "../core/contact-fields.js";
import { LayoutCache } from "../core/record-layouts.js";
import { validIdentifierValue, validTextValue } from "../core/validate-contact.js";
import { copyCell } from "../store/copy-in.js";
import type { ColumnMapper } from "./header-mapping.js";

/** A record as the set-based writer's row: its match key, its COPY text line over `fields`, what it clears. */
export interface EncodedRecord {
  key: string;
  /** the layout's fields, the same array for every record of the layout */
  fields: readonly ContactFieldSpec[];
  line: string;
  cleared: string | null;
}

/** A record's row, or null when the record needs the general path (a refused value, no key, an odd cell). */
export type FlatRecordEncoder = (record: FlatRecordSource) => EncodedRecord | null;

/** A record by name, and (a CSV row) by position: its cells in its header's order. */
export interface FlatRecordSource {
  fields: Record<string, unknown>;
  cells?: readonly string[];
  header?: readonly string[];
}

interface Layout {
  /** the key's and the fields' columns by name, and by position in the header the layout was made for */
  keyColumn: string;
  columns: string[];
  keyPosition: number;
  positions: number[];
  fields: ContactFieldSpec[];
}

/**
 * Encodes native-shape records straight into flat rows when their columns map to text fields and the match
 * key's identifier only: the mapping, the native shape's reading of a text cell (empty leaves the field
 * alone, `#N/A` clears it) and validation, fused, without the mapped record, the contact input or the
 * field-by-field encoding in between. A record it cannot take as it is (a value validation refuses, an
 * empty key, a cell that is not a string) comes back null and goes the general path, which words the error;
 * so this path only ever holds valid rows, and writes for them what the general path writes (tested).
 * Other layouts (a column mapped to another type, to another identifier, two columns to one field) are
 * not encoded at all. A CSV row is read by position, with its header's layout made once: reading 44 cells
 * by name was a keyed load each at one site (megamorphic), and comparing the record's keys with its
 * layout's a loop over them, for every row.
 */
export function flatRecordEncoder(mapper: ColumnMapper, scheme: string): FlatRecordEncoder {
  const keyTarget = `identifiers.${scheme}`;
  const layoutOf = (columns: readonly string[]): Layout | null => {
    let keyColumn: string | undefined;
    let keyPosition = -1;
    const fieldColumns: string[] = [];
    const positions: number[] = [];
    const fields: ContactFieldSpec[] = [];
    const targets = new Set<string>();
    for (const [position, column] of columns.entries()) {
      const target = mapper.targetOf(column);
      if (target === null) continue;
      if (targets.has(target)) return null;
      targets.add(target);
      if (target === keyTarget) {
        keyColumn = column;
        keyPosition = position;
        continue;
      }
      const spec = contactFieldsByName.get(target);
      if (spec?.type !== "text") return null;
      fieldColumns.push(column);
      positions.push(position);
      fields.push(spec);
    }
    return keyColumn === undefined
      ? null
      : { keyColumn, columns: fieldColumns, keyPosition, positions, fields };
  };
  // Made at once: a layout here is a list, not generated code, and every row should take this path.
  const layouts = new LayoutCache<Layout>(layoutOf, 1);
  let headerLayout: { header: readonly string[]; layout: Layout | null } | null = null;
  let cells: string[] = [];
  return ({ fields: record, cells: byPosition, header }) => {
    // Two columns feeding one target (in this layout or another of the file): errors must name the row's
    // own column, which the general path keeps track of.
    if (mapper.sharedTargets.size > 0) return null;
    let layout: Layout | null;
    const positional =
      byPosition !== undefined && header !== undefined && byPosition.length === header.length;
    if (positional) {
      if (headerLayout?.header !== header) headerLayout = { header, layout: layoutOf(header) };
      layout = headerLayout.layout;
    } else {
      layout = layouts.compiledFor(record);
    }
    if (!layout) return null;
    const raw = positional ? byPosition[layout.keyPosition] : record[layout.keyColumn];
    if (typeof raw !== "string" || !validIdentifierValue(raw)) return null;
    const { columns, positions, fields } = layout;
    if (cells.length !== columns.length) cells = new Array<string>(columns.length);
    let cleared: string[] | null = null;
    for (let i = 0; i < columns.length; i++) {
      const cell = positional ? byPosition[positions[i]] : record[columns[i]];
      if (typeof cell !== "string") return null;
      if (cell === "") {
        cells[i] = "\\N";
      } else if (cell === "#N/A") {
        cells[i] = "\\N";
        cleared ??= new Array<string>(columns.length).fill("0");
        cleared[i] = "1";
      } else if (cell.length <= (fields[i].maxLength as number) && !fields[i].format && plainText(cell)) {
        cells[i] = cell;
      } else {
        const value = validTextValue(fields[i], cell);
        if (value === undefined) return null;
        cells[i] = copyCell(value);
      }
    }
    return { key: raw.trim(), fields, line: cells.join("\t"), cleared: cleared?.join("") ?? null };
  };
}

/**
 * Whether a text holds none of what validation refuses in any text (NUL, a surrogate: a lone one is not
 * Unicode, and a pair is rare enough to take the slow path) nor what COPY must escape (backslash, tab, line
 * ends): then it is valid up to its length and format, and its own COPY cell. One pass over the characters
 * instead of three native scans (NUL, well-formedness, escapes) per cell, most of them under 20 characters.
 */
function plainText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 ? c === 0 || c === 9 || c === 10 || c === 13 : c === 92 || (c >= 0xd800 && c <= 0xdfff))
      return false;
  }
  return true;
}
