import type { Store } from "../store/database.js";
import { getImportJob, type ImportJob } from "../store/imports/import-jobs.js";
import { endImportJob } from "../store/imports/upload-storage.js";
import { keepFailedRows } from "./keep-failed-rows.js";

/**
 * Cancels a job: the runner stops before its next chunk and committed rows stay. The upload is deleted
 * when the job ends, so the failed rows found so far keep their source first, as a job that completes
 * does: a cancelled job's failed-rows file still gives them back to be fixed. A job that ended already is
 * answered as it stands.
 */
export async function cancelImport(store: Store, job: ImportJob): Promise<ImportJob> {
  if (job.state === "queued" || job.state === "running") await keepFailedRows(store, job);
  await endImportJob(store, job.tenantId, job.id, "cancelled");
  return (await getImportJob(store.db, job.tenantId, job.id)) ?? job;
}
