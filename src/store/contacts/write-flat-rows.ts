import { sql, type Transaction } from "kysely";
import { type ContactFieldSpec, contactFields } from "../../core/contact-fields.js";
import { copyCell, copyFromStdin } from "../copy-in.js";
import type { Database } from "../schema.js";
import { arrayParameter, sqlTypes } from "./contact-columns.js";
import { newContactIds, parseContactIds } from "./contact-ids.js";
import { contactLockName, lockContactKeys } from "./contact-locks.js";
import type { FlatBatch, FlatRows } from "./flat-rows.js";
import type { UpsertResult } from "./upsert-contacts.js";

/** What the set-based writer did with each row, in row order. */
export interface FlatRowsWritten {
  statuses: Array<"created" | "updated" | "unchanged">;
  ids: number[];
}

// A session's staging table for the rows that match stored contacts: COPY fills it, one UPDATE joins it to
// contacts, and the commit empties it. It has a column for every scalar field, so any batch's fields fit.
const stagingTable = "tributary_flat_updates";
const stagingDefinition = `create temp table if not exists ${stagingTable} (id bigint not null, ${contactFields
  .map((f) => `${f.column} ${sqlTypes[f.type]}`)
  .join(", ")}, cleared text) on commit delete rows`;

// COPY data goes in pieces of this many rows, each one join of its lines (about 50 KB for 45 columns).
const rowsPerPiece = 100;

/**
 * Writes flat rows (`FlatRowsBuilder`) inside the caller's transaction, set-based, with the engine's
 * semantics: the keys locked as every writer locks them; a row whose key names a stored contact updates it
 * (a field the row sets overwrites, one it clears becomes null, the rest stay; `unchanged` when nothing
 * differs, and then nothing is written); the others create a contact with the key as its identifier. Rows
 * that share a key apply in row order, as the engine applies a batch's inputs for one contact: the second
 * occurrence of each key goes after every first one, and so on.
 */
export async function writeFlatRows(
  trx: Transaction<Database>,
  rows: FlatRows,
  options: { tenantId: number; actor: string },
): Promise<FlatRowsWritten> {
  const { tenantId } = options;
  const { scheme, keys } = rows;
  const count = keys.length;
  const statuses = new Array<"created" | "updated" | "unchanged">(count).fill("unchanged");
  const ids = new Array<number>(count).fill(0);
  if (count === 0) return { statuses, ids };

  const lockNames = new Set<string>();
  for (const key of keys) lockNames.add(contactLockName(tenantId, scheme, key));
  await lockContactKeys(trx, tenantId, lockNames);

  // The keys' owners and, in the same round trip, an id for each key that has none: every new contact is
  // a key's first row (a later row of the key finds the contact its first one made).
  const distinct = lockNames.size === count ? keys : [...new Set(keys)];
  const owners = new Map<string, number>();
  const found = await sql<{ found: string; ids: string }>`
    with found as (
      select value, contact_id from contact_identifiers
      where tenant_id = ${tenantId} and scheme = ${scheme} and value = any(${arrayParameter(distinct, "text")}))
    select (select coalesce(json_agg(json_build_array(value, contact_id)), '[]')::text from found) as found,
      ${newContactIds(sql<number>`${distinct.length} - (select count(*)::int from found)`)} as ids`.execute(
    trx,
  );
  for (const [value, contactId] of JSON.parse(found.rows[0].found) as Array<[string, number]>)
    owners.set(value, Number(contactId));
  const newIds = parseContactIds(found.rows[0].ids);
  let nextNewId = 0;

  let stagingUsed = false;
  for (const generation of generations(keys)) {
    const matched: number[] = [];
    const fresh: number[] = [];
    for (const row of generation) {
      const owner = owners.get(keys[row]);
      if (owner === undefined) fresh.push(row);
      else {
        ids[row] = owner;
        matched.push(row);
      }
    }
    if (fresh.length > 0) {
      for (const row of fresh) {
        const id = newIds[nextNewId++];
        ids[row] = id;
        statuses[row] = "created";
        owners.set(keys[row], id);
      }
      await insertContacts(trx, rows, fresh, ids, options);
    }
    if (matched.length > 0 && rows.fields.length > 0) {
      if (stagingUsed) await sql`delete from ${sql.raw(stagingTable)}`.execute(trx);
      stagingUsed = true;
      const rowOf = new Map<number, number>();
      for (const row of matched) rowOf.set(ids[row], row);
      for (const id of await updateContacts(trx, rows, matched, ids, options))
        statuses[rowOf.get(id) as number] = "updated";
    }
  }
  return { statuses, ids };
}

/** Row numbers by how many earlier rows share their key: every row in the first when no key repeats. */
function generations(keys: readonly string[]): number[][] {
  const seen = new Map<string, number>();
  const out: number[][] = [[]];
  for (let row = 0; row < keys.length; row++) {
    const earlier = seen.get(keys[row]) ?? 0;
    seen.set(keys[row], earlier + 1);
    if (earlier === out.length) out.push([]);
    out[earlier].push(row);
  }
  return out;
}

function* copyPieces(rowNumbers: number[], line: (row: number) => string): Generator<string> {
  for (let first = 0; first < rowNumbers.length; first += rowsPerPiece) {
    const last = Math.min(rowNumbers.length, first + rowsPerPiece);
    const lines = new Array<string>(last - first + 1);
    for (let i = first; i < last; i++) lines[i - first] = line(rowNumbers[i]);
    lines[last - first] = "";
    yield lines.join("\n");
  }
}

/** Creates the fresh rows' contacts (by COPY) and their identifiers. */
async function insertContacts(
  trx: Transaction<Database>,
  rows: FlatRows,
  fresh: number[],
  ids: number[],
  { tenantId, actor }: { tenantId: number; actor: string },
): Promise<void> {
  const columns = ["tenant_id", "id", ...rows.fields.map((f) => f.column), "created_by", "modified_by"];
  const tenant = `${tenantId}\t`;
  const actorCells = `\t${copyCell(actor)}\t${copyCell(actor)}`;
  const { lines } = rows;
  // A batch that sets no field still creates its contacts: the line then holds no cell of its own.
  const line =
    rows.fields.length > 0
      ? (row: number) => `${tenant}${ids[row]}\t${lines[row]}${actorCells}`
      : (row: number) => `${tenant}${ids[row]}${actorCells}`;
  await copyFromStdin(`contacts (${columns.join(", ")})`, copyPieces(fresh, line)).execute(trx);
  // By COPY too: 2,000 identifiers took PostgreSQL 7-8 ms as one insert from unnested arrays.
  const schemeCells = `${tenant}${copyCell(rows.scheme)}\t`;
  const { keys } = rows;
  await copyFromStdin(
    "contact_identifiers (tenant_id, scheme, value, contact_id)",
    copyPieces(fresh, (row) => `${schemeCells}${copyCell(keys[row])}\t${ids[row]}`),
  ).execute(trx);
}

/** Updates the matched rows' contacts where they differ; answers the ids of the contacts it changed. */
async function updateContacts(
  trx: Transaction<Database>,
  rows: FlatRows,
  matched: number[],
  ids: number[],
  { tenantId, actor }: { tenantId: number; actor: string },
): Promise<number[]> {
  const clears = matched.some((row) => rows.cleared[row] !== null);
  const columns = ["id", ...rows.fields.map((f) => f.column), ...(clears ? ["cleared"] : [])];
  const { lines, cleared } = rows;
  const line = clears
    ? (row: number) => `${ids[row]}\t${lines[row]}\t${cleared[row] ?? "\\N"}`
    : (row: number) => `${ids[row]}\t${lines[row]}`;
  // A join of a few thousand staged rows to the tenant's contacts by primary key: a nested loop of index
  // lookups. The staging table has no statistics, and a hash join would read every contact of the table.
  // One round trip for the table and the settings, which last until they are set back below.
  await sql
    .raw(`do $$ begin ${stagingDefinition}; perform set_config('enable_hashjoin', 'off', true);
      perform set_config('enable_mergejoin', 'off', true); end $$`)
    .execute(trx);
  await copyFromStdin(`${stagingTable} (${columns.join(", ")})`, copyPieces(matched, line)).execute(trx);
  const { sets, differs } = updateParts(rows.fields, clears);
  const result = await sql<{ ids: string | null }>`
    with changed as (
      update contacts c set ${sql.raw(sets)}, modified_at = now(), modified_by = ${actor}
      from ${sql.raw(stagingTable)} s
      where c.tenant_id = ${tenantId} and c.id = s.id and ${sql.raw(differs)}
      returning c.id)
    select string_agg(id::text, ',') as ids from changed`.execute(trx);
  await sql`select set_config('enable_hashjoin', 'on', true), set_config('enable_mergejoin', 'on', true)`.execute(
    trx,
  );
  const text = result.rows[0]?.ids;
  return text ? text.split(",").map(Number) : [];
}

const updateTexts = new Map<string, { sets: string; differs: string }>();

/**
 * The SET list and the WHERE test of the update from the staging table for these fields: each set field
 * overwrites, a cleared one becomes null, the others keep their stored value; a row is written (and gets a
 * new modified_at) only when some value differs from the stored one.
 */
function updateParts(
  fields: readonly ContactFieldSpec[],
  clears: boolean,
): { sets: string; differs: string } {
  const cacheKey = `${clears}:${fields.map((f) => f.name).join(",")}`;
  const cached = updateTexts.get(cacheKey);
  if (cached) return cached;
  const values = fields.map((f, i) =>
    clears
      ? `coalesce(s.${f.column}, case when substr(s.cleared, ${i + 1}, 1) = '1' then null else c.${f.column} end)`
      : `coalesce(s.${f.column}, c.${f.column})`,
  );
  const parts = {
    sets: fields.map((f, i) => `${f.column} = ${values[i]}`).join(", "),
    differs: `(${fields.map((f) => `c.${f.column}`).join(", ")}) is distinct from (${values.join(", ")})`,
  };
  updateTexts.set(cacheKey, parts);
  return parts;
}

/** Writes a flat batch (`FlatBatchBuilder`) and answers every input's result, as the engine's would read. */
export async function upsertFlatBatch(
  trx: Transaction<Database>,
  batch: FlatBatch,
  options: { tenantId: number; actor: string },
): Promise<UpsertResult[]> {
  const { statuses, ids } = await writeFlatRows(trx, batch.rows, options);
  const results = batch.results.slice();
  const { inputs } = batch.rows;
  for (let row = 0; row < inputs.length; row++) {
    const index = inputs[row];
    results[index] = { index, status: statuses[row], id: ids[row], errors: [] };
  }
  return results;
}
