import { PgBoss } from "pg-boss";
import type { Store } from "../store/database.js";
import { whileHoldingImportJob } from "../store/imports/import-job-lock.js";
import { listUnfinishedImportJobs } from "../store/imports/import-jobs.js";
import { endImportJob } from "../store/imports/upload-storage.js";
import { endInterruptedUploads } from "./end-interrupted-uploads.js";
import { type RunEnd, runImport } from "./run-import.js";

/** Runs import jobs in the background: pg-boss on PostgreSQL, an in-process queue on the embedded engine. */
export interface ImportRunner {
  /** Starts taking jobs, and re-queues every job a stopped or killed process left unfinished. */
  start(): Promise<void>;
  /** Queues a job whose upload is complete. */
  enqueue(tenantId: number, jobId: number): Promise<void>;
  /**
   * Runs a job in this process while its upload still arrives (`RunImportOptions.arriving`); queued too
   * once its upload completes, the job is then this same run to this process's worker. Null when the
   * runner cannot (PGlite: one connection, and jobs run one after another).
   */
  runWhileUploading?(tenantId: number, jobId: number, arriving: AsyncIterable<Buffer>): Promise<RunEnd>;
  /** Stops after each running job's current chunk; those jobs stay resumable. */
  stop(): Promise<void>;
}

export interface ImportRunnerOptions {
  chunkRows?: number;
  log?: (message: string, detail?: Record<string, unknown>) => void;
  /** PostgreSQL: how often a run that threw is tried again, and after how many seconds (default 10, 5) */
  retries?: { limit: number; delaySeconds: number };
  /** PostgreSQL: seconds between two looks for running jobs whose process is gone (default 10) */
  watchSeconds?: number;
  /** the run itself; tests put a failing one here */
  run?: typeof runImport;
}

const queueName = "tributary-import";
// PostgreSQL: how often each server looks for a running job whose process is gone, to take it over.
const defaultWatchSeconds = 10;
const retryDelayMs = 5_000;
const maxInProcessAttempts = 3;
const internalEnd = {
  code: "INTERNAL",
  message: "the import stopped on an internal error; rows already committed stay",
};
// PostgreSQL: an upload that received no piece for this long belongs to a process that stopped (a piece is
// 1 MiB: at 10 KiB/s one arrives every 100 s). Checked at start and then every few minutes.
const idleUploadSeconds = 15 * 60;
const idleUploadCheckMs = 5 * 60 * 1000;

/** The runner for the store's engine. */
export function createImportRunner(store: Store, options: ImportRunnerOptions = {}): ImportRunner {
  return store.engine === "postgres" ? pgBossRunner(store, options) : inProcessRunner(store, options);
}

/**
 * Runs each job at most once per process at a time. A second process (or a retried pg-boss job) may run
 * the same import concurrently; the chunk transaction's checkpoint check then makes one of them stop.
 */
function jobExecutor(store: Store, options: ImportRunnerOptions) {
  const active = new Map<string, Promise<RunEnd>>();
  let stopping = false;
  return {
    run(tenantId: number, jobId: number, arriving?: AsyncIterable<Buffer>): Promise<RunEnd> {
      const key = `${tenantId}:${jobId}`;
      const running = active.get(key);
      if (running) return running;
      const run = (options.run ?? runImport)(store, tenantId, jobId, {
        chunkRows: options.chunkRows,
        shouldStop: () => stopping,
        arriving,
      }).finally(() => active.delete(key));
      active.set(key, run);
      return run;
    },
    async stop() {
      stopping = true;
      await Promise.allSettled(active.values());
    },
    get stopping() {
      return stopping;
    },
  };
}

function inProcessRunner(store: Store, options: ImportRunnerOptions): ImportRunner {
  const executor = jobExecutor(store, options);
  const timers = new Set<NodeJS.Timeout>();
  // PGlite is one connection: jobs run one after another, in the order they were queued.
  let tail: Promise<unknown> = Promise.resolve();
  const schedule = (tenantId: number, jobId: number, attempt: number) => {
    tail = tail.then(async () => {
      if (executor.stopping) return;
      try {
        await executor.run(tenantId, jobId);
      } catch (error) {
        options.log?.("import run failed", { tenantId, jobId, attempt, error: String(error) });
        if (executor.stopping) return;
        if (attempt + 1 >= maxInProcessAttempts) {
          await endImportJob(store, tenantId, jobId, "failed", internalEnd).catch(() => {});
          return;
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          schedule(tenantId, jobId, attempt + 1);
        }, retryDelayMs);
        timers.add(timer);
      }
    });
  };
  return {
    async start() {
      // One process holds a PGlite data folder: an upload left `uploading` was this process's before it
      // stopped.
      await endInterruptedUploads(store, 0);
      for (const job of await listUnfinishedImportJobs(store.db)) schedule(job.tenantId, job.id, 0);
    },
    async enqueue(tenantId, jobId) {
      schedule(tenantId, jobId, 0);
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      await executor.stop();
      await tail.catch(() => {});
    },
  };
}

function pgBossRunner(store: Store, options: ImportRunnerOptions): ImportRunner {
  const executor = jobExecutor(store, options);
  // pg-boss shares the store's pool through executeSql: one pool and one configuration for the server.
  const boss = new PgBoss({
    db: { executeSql: (text, values) => store.executeSql(text, values) as Promise<{ rows: unknown[] }> },
    schema: "pgboss",
    schedule: false,
    // How often a claim whose heartbeats stopped (a killed process) is found: with 10 s heartbeats, its
    // job is taken over within about half a minute.
    superviseIntervalSeconds: 10,
  });
  boss.on("error", (error) => options.log?.("pg-boss error", { error: String(error) }));
  const retries = options.retries ?? { limit: 10, delaySeconds: 5 };
  let started = false;
  let workerId: string | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let adopter: NodeJS.Timeout | undefined;
  return {
    async start() {
      await boss.start();
      started = true;
      const queueOptions = {
        // A job runs as long as its import; a killed process's claim lapses when its heartbeats stop, and the
        // adoption round below takes its job over sooner.
        expireInSeconds: 24 * 3600,
        heartbeatSeconds: 10,
        retryLimit: retries.limit,
        retryDelay: retries.delaySeconds,
      };
      await boss.createQueue(queueName, queueOptions);
      // A queue made by an earlier version keeps its options unless told (heartbeats were 30 s).
      await boss.updateQueue(queueName, queueOptions);
      workerId = await boss.work<{ tenantId: number; jobId: number }>(
        queueName,
        { pollingIntervalSeconds: 0.5, localConcurrency: 2 },
        async ([job]) => {
          const { tenantId, jobId } = job.data;
          try {
            const end = await executor.run(tenantId, jobId);
            // A stopping process hands its job to the next worker now, not at the next adoption round. A
            // job another process runs needs nothing: every server adopts a running job whose lock is free.
            if (end === "stopped") await boss.send(queueName, job.data);
          } catch (error) {
            options.log?.("import run failed", {
              tenantId,
              jobId,
              attempt: job.retryCount,
              error: String(error),
            });
            // pg-boss retries a failed run; after the last retry the import itself must end, or it would
            // show `running` for ever with nothing running it.
            if (executor.stopping || job.retryCount < retries.limit) throw error;
            await endImportJob(store, tenantId, jobId, "failed", internalEnd);
          }
        },
      );
      for (const job of await listUnfinishedImportJobs(store.db)) await this.enqueue(job.tenantId, job.id);
      const sweep = () =>
        endInterruptedUploads(store, idleUploadSeconds).catch((error) =>
          options.log?.("ending interrupted uploads failed", { error: String(error) }),
        );
      await sweep();
      sweeper = setInterval(sweep, idleUploadCheckMs);
      sweeper.unref();
      // A `running` job whose lock nobody holds lost its process (killed, or its connection gone) while
      // that process's worker still held the queue's claim, which lapses only with its heartbeats: queue
      // it again now. A run of this process holds its lock, so it is never taken for lost. A job queued
      // again waits for a worker still `running` and free: it is not queued twice within a minute.
      const adopted = new Map<string, number>();
      const adopt = async () => {
        const now = Date.now();
        for (const [key, at] of adopted) if (now - at > 60_000) adopted.delete(key);
        for (const job of await listUnfinishedImportJobs(store.db, ["running"])) {
          const key = `${job.tenantId}:${job.id}`;
          if (adopted.has(key)) continue;
          if ((await whileHoldingImportJob(store, job.tenantId, job.id, async () => "free")) !== "free")
            continue;
          adopted.set(key, now);
          options.log?.("adopting an import whose process is gone", {
            tenantId: job.tenantId,
            jobId: job.id,
          });
          await boss.send(queueName, { tenantId: job.tenantId, jobId: job.id });
        }
      };
      adopter = setInterval(
        () =>
          adopt().catch((error) => options.log?.("adopting lost imports failed", { error: String(error) })),
        (options.watchSeconds ?? defaultWatchSeconds) * 1000,
      );
      adopter.unref();
    },
    runWhileUploading(tenantId, jobId, arriving) {
      return executor.run(tenantId, jobId, arriving);
    },
    async enqueue(tenantId, jobId) {
      await boss.send(queueName, { tenantId, jobId });
      // The upload was received here: this process's worker takes the job now instead of at its next poll
      // (half a second at most, a noticeable share of a small import's time). Other processes still poll.
      if (workerId) boss.notifyWorker(workerId);
    },
    async stop() {
      if (sweeper) clearInterval(sweeper);
      if (adopter) clearInterval(adopter);
      await executor.stop();
      if (started) await boss.stop({ graceful: true, close: false, timeout: 10_000 });
    },
  };
}
