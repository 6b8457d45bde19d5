import { type Kysely, sql } from "kysely";

// PostgreSQL plans from table statistics, and a table that grew from nothing in the last minute has none
// (autovacuum analyzes only after its naptime): "tenant_id = 1" then looks selective, and lookups by key
// turn into scans of the whole tenant (measured: 7 ms instead of 0.3 ms per 100-key batch at 30,000 rows,
// growing with the table). Bulk-loading guides say to ANALYZE after a load; the engine does it itself once
// enough rows have been written since the last time, off the request path. It samples with a statistics
// target of 10 (3,000 rows instead of 30,000): what the planner needs here is the table's size and a rough
// distribution of tenant_id and the key columns, and the full sample cost 1.5 s of a core at 100,000
// 45-column contacts against 0.1 s (measured), competing with the writes it is meant to help. Autovacuum's
// own ANALYZE later refines them with the server's default target.
//
// Only the first ANALYZE of a process covers every column of contacts. The later ones name the columns
// that queries filter or order contacts by: with 109 columns, the per-column statistics were nearly all of
// its cost (measured at 100,000 contacts: 110-150 ms in full, 16-19 ms for these columns), and an import
// of 100,000 rows ran seven of them. A column list skips the index expressions (lower(email),
// lower(surname)...), so the first, full one gives them their statistics; an expression's distinct count
// is kept as a share of the rows, so it stays true while the table grows, and autovacuum refreshes it.
const plannedColumns =
  "tenant_id, id, email, given_name, surname, preferred_name, date_of_birth, modified_at";

interface Counter {
  written: number;
  analyzedAt: number;
  running: boolean;
}

const counters = new WeakMap<object, Counter>();

/** Rows to write before the first ANALYZE, and the share of the rows analyzed last time after that. */
const firstThreshold = 5_000;
const growthShare = 0.5;

/**
 * Notes contact rows written through a database handle and, past the threshold, refreshes the statistics
 * in the background; answers that ANALYZE (it never rejects), or undefined when none started.
 */
export function noteContactRowsWritten<DB>(db: Kysely<DB>, rows: number): Promise<void> | undefined {
  if (rows <= 0) return undefined;
  let counter = counters.get(db);
  if (!counter) {
    counter = { written: 0, analyzedAt: 0, running: false };
    counters.set(db, counter);
  }
  counter.written += rows;
  const threshold = Math.max(firstThreshold, counter.analyzedAt * growthShare);
  if (counter.running || counter.written < threshold) return undefined;
  counter.running = true;
  const total = counter.analyzedAt + counter.written;
  const full = counter.analyzedAt === 0;
  counter.written = 0;
  return db
    .transaction()
    .execute(async (trx) => {
      await sql`set local default_statistics_target = 10`.execute(trx);
      if (full) await sql`analyze contacts, contact_identifiers`.execute(trx);
      else await sql`analyze contacts (${sql.raw(plannedColumns)}), contact_identifiers`.execute(trx);
    })
    .then(
      () => {
        (counter as Counter).analyzedAt = total;
      },
      // Statistics are an optimisation: a failed ANALYZE (a closing pool, say) must never fail a write.
      () => {},
    )
    .finally(() => {
      (counter as Counter).running = false;
    });
}
