import type { Store } from "../store/database.js";
import { deleteEndedJobsPieces, listIdleUploads } from "../store/imports/import-jobs.js";
import { endImportJob } from "../store/imports/upload-storage.js";

/**
 * Ends as failed every job whose upload stopped arriving: a server killed while it received a file leaves
 * the job `uploading` with part of the file stored, and its client never heard 202. The job fails with
 * IMPORT_UPLOAD_INTERRUPTED and its pieces (or file) are deleted; nothing of the file was imported, unless
 * the run that server started while the file arrived (PostgreSQL) had committed chunks: those rows stay.
 * On PGlite the process holding the data folder is the only one, so at its start every upload is such a
 * one; on PostgreSQL another server may be receiving one, so only uploads idle for `idleSeconds` are.
 * It also deletes the pieces a job that ended `idleSeconds` ago or more still has: a cancel marks the job
 * first and deletes its upload once the failed rows' sources are kept, so a server stopped in between
 * leaves them (a cancel in progress on another server is left its time).
 */
export async function endInterruptedUploads(store: Store, idleSeconds: number): Promise<number> {
  let ended = 0;
  for (const job of await listIdleUploads(store.db, idleSeconds)) {
    const done = await endImportJob(store, job.tenantId, job.id, "failed", {
      code: "IMPORT_UPLOAD_INTERRUPTED",
      message:
        job.rowsRead > 0
          ? `the upload stopped before the whole file arrived (the server stopped); ${job.rowsRead} of its rows were imported (see the results); send the file again`
          : "the upload stopped before the whole file arrived (the server stopped); send the file again",
    });
    if (done) ended++;
  }
  await deleteEndedJobsPieces(store.db, idleSeconds);
  return ended;
}
