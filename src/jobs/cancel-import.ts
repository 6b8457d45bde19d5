import type { Store } from "../store/database.js";
import { getImportJob, type ImportJob, markImportJobEnded } from "../store/imports/import-jobs.js";
import { deleteUpload } from "../store/imports/upload-storage.js";
import { keepFailedRows } from "./keep-failed-rows.js";

/**
 * Cancels a job: the runner stops before its next chunk and committed rows stay. A job that ended already
 * is answered as it stands.
 *
 * The job is marked cancelled first: that takes the job row's lock, waiting for a chunk in flight, and no
 * chunk commits after it (each checks the state under the same lock). Only then are the failed rows' sources
 * kept from the upload, which is still stored, and the upload deleted: kept before the mark, the chunks a
 * running server committed meanwhile lost their sources (their rows came back with empty cells).
 */
export async function cancelImport(store: Store, job: ImportJob): Promise<ImportJob> {
  if (await markImportJobEnded(store.db, job.tenantId, job.id, "cancelled")) {
    try {
      await keepFailedRows(store, job);
    } finally {
      // A server stopped before this leaves the pieces; endInterruptedUploads deletes them later.
      await deleteUpload(store, job.tenantId, job.id);
    }
  }
  return (await getImportJob(store.db, job.tenantId, job.id)) ?? job;
}
