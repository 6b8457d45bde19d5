import { sql, type Transaction } from "kysely";
import type { Database } from "../schema.js";

// PostgreSQL's shared lock table holds max_locks_per_transaction × max_connections entries (6,400 by
// default); eight 1,000-input batches locking each key would overflow it. Past this many keys a batch locks
// hash buckets of its keys instead: big batches then serialise among themselves, small ones keep precise
// locks.
const maxPreciseLocks = 256;

/** The lock name of one value of one kind of key (an identifier scheme, `email`, `id`, `pi`) of a tenant. */
export function contactLockName(tenantId: number, kind: string, value: string): string {
  return `${tenantId}\u001f${kind}\u001f${value}`;
}

function bucketName(tenantId: number, name: string): string {
  return `${tenantId}\u001fbucket\u001f${fnv1a(name) % maxPreciseLocks}`;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Serialises concurrent writers on the same people: takes transaction-scoped advisory locks for the names
 * (`contactLockName`). Every writer of contacts locks the same names for the same keys, whichever path it
 * writes by. A batch of more than 256 keys locks their hash buckets exclusively; a smaller one locks the
 * same buckets shared, then each key exclusively. So a big batch and a small one on the same person wait
 * for each other (a bucket locked both ways), two small ones only when they share a key, two big ones
 * always. Buckets come before keys, each in sorted order, so no two batches wait for each other crosswise.
 */
export async function lockContactKeys(
  trx: Transaction<Database>,
  tenantId: number,
  names: ReadonlySet<string>,
): Promise<void> {
  if (names.size === 0) return;
  const buckets = new Set<string>();
  for (const name of names) buckets.add(bucketName(tenantId, name));
  const big = names.size > maxPreciseLocks;
  // One row back, not one per lock: PGlite decodes every result row in JavaScript. The subquery's order
  // is the order the locks are taken in.
  await sql`select count(case when s.shared then pg_advisory_xact_lock_shared(hashtextextended(s.k, 0))
      else pg_advisory_xact_lock(hashtextextended(s.k, 0)) end)
    from (select ${!big} as shared, 0 as phase, unnest(${[...buckets]}::text[]) as k
          union all select false, 1, unnest(${big ? [] : [...names]}::text[])
          order by phase, k) s`.execute(trx);
}
