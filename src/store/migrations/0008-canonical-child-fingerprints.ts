import { type Kysely, sql } from "kysely";
import {
  activityValues,
  childFingerprint,
  columnOf,
  communicationColumns,
} from "../contacts/child-fingerprint.js";
import { executeStatements } from "./execute-statements.js";

// Activities and communications are kept once per contact by a fingerprint of their values. Until this
// migration the fingerprint hashed the values as sent, so the same communication sent with
// `2026-02-03T04:05:06Z` and then `…06.000Z` (as Tributary's own export writes it), or the same activity with
// its courses' keys in another order, was stored twice. Validation now normalises those values before they are
// stored and hashed; this recomputes the stored rows' fingerprints from their stored values, the way the writer
// now does, and keeps the oldest of the rows that turn out to be one item. Notes, tasks and tags hashed values
// that were already in one spelling.
const batch = 5_000;
const communicationSelect = sql.raw(
  communicationColumns.map(([name]) => `${columnOf(name)} as "${name}"`).join(", "),
);

export async function up(db: Kysely<unknown>): Promise<void> {
  await executeStatements(
    db,
    `drop index contact_activities_fingerprint_key;
    drop index contact_communications_fingerprint_key`,
  );
  // Page by the primary key (tenant_id, id), so each page is an index range, not a scan of the table.
  for (let after = [0, 0]; ; ) {
    const rows = (
      await sql<{ tenant: string | number; id: string | number; kind: string | null; courses: unknown }>`
        select tenant_id as tenant, id, kind, courses from contact_activities
        where (tenant_id, id) > (${after[0]}, ${after[1]}) order by tenant_id, id limit ${batch}`.execute(db)
    ).rows;
    if (rows.length === 0) break;
    const updates = rows.map((row) => {
      const values = activityValues(row.kind, row.courses);
      return {
        tenant: Number(row.tenant),
        id: Number(row.id),
        fingerprint: childFingerprint(values),
        courses: JSON.parse(values[1]),
      };
    });
    await sql`update contact_activities a set fingerprint = u.fingerprint, courses = u.courses
      from json_to_recordset(${JSON.stringify(updates)}::json) as u(tenant bigint, id bigint, fingerprint text, courses jsonb)
      where a.tenant_id = u.tenant and a.id = u.id`.execute(db);
    after = [updates[updates.length - 1].tenant, updates[updates.length - 1].id];
  }
  for (let after = [0, 0]; ; ) {
    // Each column aliased to its camelCase name, quoted: the same keys whether or not the store's camelCase
    // plugin renames the result's snake_case columns.
    const rows = (
      await sql<Record<string, unknown>>`
        select tenant_id as tenant, id, ${communicationSelect}
        from contact_communications
        where (tenant_id, id) > (${after[0]}, ${after[1]}) order by tenant_id, id limit ${batch}`.execute(db)
    ).rows;
    if (rows.length === 0) break;
    const updates = rows.map((row) => {
      const values = communicationColumns.map(([name]) => {
        const value = row[name];
        // The writer hashes a timestamp in its one ISO spelling (validation writes it so).
        return name === "occurredAt" && value !== null
          ? new Date(value as string | Date).toISOString()
          : value;
      });
      return { tenant: Number(row.tenant), id: Number(row.id), fingerprint: childFingerprint(values) };
    });
    await sql`update contact_communications c set fingerprint = u.fingerprint
      from json_to_recordset(${JSON.stringify(updates)}::json) as u(tenant bigint, id bigint, fingerprint text)
      where c.tenant_id = u.tenant and c.id = u.id`.execute(db);
    after = [updates[updates.length - 1].tenant, updates[updates.length - 1].id];
  }
  await executeStatements(
    db,
    `delete from contact_activities a using contact_activities b
      where a.tenant_id = b.tenant_id and a.contact_id = b.contact_id and a.fingerprint = b.fingerprint and a.id > b.id;
    delete from contact_communications a using contact_communications b
      where a.tenant_id = b.tenant_id and a.contact_id = b.contact_id and a.fingerprint = b.fingerprint and a.id > b.id;
    create unique index contact_activities_fingerprint_key on contact_activities (tenant_id, contact_id, fingerprint);
    create unique index contact_communications_fingerprint_key on contact_communications (tenant_id, contact_id, fingerprint)`,
  );
}

// The spellings the old fingerprints hashed are gone; the new fingerprints are as unique, so going down keeps them.
export async function down(): Promise<void> {}
