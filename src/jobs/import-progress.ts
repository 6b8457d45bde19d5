import type { ImportJob } from "../store/imports/import-jobs.js";

/** A job as the API and the CLI show it: state, counters, rows/s, percent (by bytes) and ETA. */
export function describeImportJob(job: ImportJob, now: Date = new Date()) {
  const finished = job.finishedAt ?? (job.state === "running" ? null : job.updatedAt);
  const end = finished ?? now;
  const seconds = job.runStartedAt ? Math.max(0.001, (end.getTime() - job.runStartedAt.getTime()) / 1000) : 0;
  const rowsThisRun = job.rowsRead - job.runStartRow;
  const bytesThisRun = job.bytesRead - job.runStartBytes;
  const rowsPerSecond = seconds > 0 ? Math.round(rowsThisRun / seconds) : 0;
  const percent =
    job.state === "completed"
      ? 100
      : job.uploadBytes > 0
        ? Math.min(99.9, Math.floor((job.bytesRead / job.uploadBytes) * 1000) / 10)
        : 0;
  const bytesPerSecond = seconds > 0 ? bytesThisRun / seconds : 0;
  const etaSeconds =
    job.state === "running" && bytesPerSecond > 0
      ? Math.ceil((job.uploadBytes - job.bytesRead) / bytesPerSecond)
      : job.state === "completed"
        ? 0
        : null;
  return {
    id: job.id,
    state: job.state,
    shape: job.shape,
    format: job.format,
    encoding: job.encoding,
    dateFormat: job.dateFormat,
    idProperty: job.idProperty,
    dryRun: job.dryRun,
    fileName: job.fileName,
    mapping: job.mapping,
    unmappedColumns: job.unmappedColumns,
    columnMapping: job.columnMapping,
    uploadBytes: job.uploadBytes,
    rowsRead: job.rowsRead,
    created: job.rowsCreated,
    updated: job.rowsUpdated,
    unchanged: job.rowsUnchanged,
    failed: job.rowsFailed,
    rowsPerSecond,
    percent,
    etaSeconds,
    error: job.errorCode ? { code: job.errorCode, message: job.errorMessage } : null,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

export type ImportJobView = ReturnType<typeof describeImportJob>;
