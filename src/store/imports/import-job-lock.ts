import type { Store } from "../database.js";

// Session advisory locks in a key space of their own: the two-int4 form with this first key ('TRIB'). The
// contact locks take the one-bigint form, which PostgreSQL keeps apart from this one.
const importJobLockClass = 0x54524942;

/**
 * Runs `run` holding the import job's session lock on a connection of its own, so one process at a time
 * runs a job, and a process that dies lets go at once (PostgreSQL ends its session; no lease to expire).
 * Answers "held" without running when another session holds it. The second key is a hash of the job's
 * tenant and id: two jobs that share it only take turns. PGlite is one process: no lock (no session).
 */
export async function whileHoldingImportJob<T>(
  store: Store,
  tenantId: number,
  jobId: number,
  run: () => Promise<T>,
): Promise<T | "held"> {
  if (!store.withSession) return run();
  const key = [importJobLockClass, `${tenantId}:${jobId}`];
  return store.withSession(async (query) => {
    const [row] = (await query("select pg_try_advisory_lock($1, hashtext($2)) as taken", key)) as Array<{
      taken: boolean;
    }>;
    if (!row?.taken) return "held";
    try {
      return await run();
    } finally {
      // A broken connection has let go already.
      await query("select pg_advisory_unlock($1, hashtext($2))", key).catch(() => {});
    }
  });
}
