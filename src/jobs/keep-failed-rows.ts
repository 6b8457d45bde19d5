import { FileRejectedError } from "../formats/records.js";
import type { Store } from "../store/database.js";
import { failedRowsWithoutSource, keepFailedRowSources } from "../store/imports/failed-rows.js";
import type { ImportJob } from "../store/imports/import-jobs.js";
import { readUpload } from "../store/imports/upload-storage.js";
import { nextTurn } from "./next-turn.js";
import { readUploadRecords } from "./read-upload-records.js";

/** Failed rows whose source is kept per job: past them the failed-rows file lists the errors alone. */
const keptFailedRowsLimit = 100_000;

const batchRows = 1000;

/**
 * Keeps the source of each failed row of a job that is about to end, so its failed-rows file can give
 * them back as the file had them. A chunk does not keep its raw cells while it waits for the database
 * (memory), and the upload is deleted when the job ends, so this reads the upload once more, only as far as
 * the last failed row, and only when some row failed. A run killed here keeps what it stored and does the
 * rest when it resumes.
 */
export async function keepFailedRows(
  store: Store,
  job: Pick<ImportJob, "tenantId" | "id" | "format" | "encoding">,
): Promise<void> {
  const { tenantId, id: jobId } = job;
  const wanted = await failedRowsWithoutSource(store.db, tenantId, jobId, keptFailedRowsLimit);
  if (wanted.length === 0) return;
  const want = new Set(wanted);
  const last = wanted[wanted.length - 1];
  const outcomes = readUploadRecords(readUpload(store, tenantId, jobId), job.format, job.encoding);
  let batch: Array<{ row: number; source: string }> = [];
  let read = 0;
  try {
    for await (const outcome of outcomes) {
      if (outcome.row > last) break;
      // Reading runs on microtasks while bytes are buffered: let the server answer requests meanwhile.
      if (++read % 250 === 0) await nextTurn();
      if (!want.has(outcome.row)) continue;
      const source = outcome.kind === "record" ? outcome.fields : outcome.source;
      if (source === undefined) continue;
      batch.push({ row: outcome.row, source: JSON.stringify(source) });
      if (batch.length >= batchRows) {
        await keepFailedRowSources(store.db, tenantId, jobId, batch);
        batch = [];
      }
    }
  } catch (error) {
    // A file unreadable past some row (the job fails for it): the rows before it are kept.
    if (!(error instanceof FileRejectedError)) throw error;
  } finally {
    await outcomes.return(undefined);
  }
  await keepFailedRowSources(store.db, tenantId, jobId, batch);
}
