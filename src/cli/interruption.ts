import { constants } from "node:os";
import type { ImportJobView } from "../jobs/import-progress.js";

const stopSignals = ["SIGINT", "SIGTERM"] as const;

/**
 * Ctrl-C (SIGINT) or SIGTERM while an import runs. Without it Node exits at once, and a local import's job
 * stayed `running`, for the next `tributary serve` to resume from its old file over newer data. The first
 * signal aborts `signal`: the command then cancels its job as `DELETE /api/v1/imports/{id}` does, says where
 * it stopped and exits with `exitCode`. A second signal exits at once, for a user who will not wait, once the
 * cancel is recorded (`mustFinish`).
 */
export class Interruption {
  #received: NodeJS.Signals | null = null;
  #mustFinish: Promise<unknown> | undefined;
  readonly #controller = new AbortController();
  readonly #listener = (signal: NodeJS.Signals) => {
    if (this.#received) {
      // Not before the cancel has been recorded: a job left `running` would be finished by the next server.
      const code = exitCodeOf(signal);
      if (!this.#mustFinish) return process.exit(code);
      setTimeout(() => process.exit(code), mustFinishWithinMs).unref();
      void this.#mustFinish.finally(() => process.exit(code));
      return;
    }
    this.#received = signal;
    this.#controller.abort();
  };

  /** A second signal exits only once `work` has settled (or after a few seconds), not at once. */
  mustFinish(work: Promise<unknown>): void {
    this.#mustFinish = work;
  }

  constructor() {
    for (const name of stopSignals) process.on(name, this.#listener);
  }

  /** Aborted at the first signal: for the requests and waits the command would otherwise go on with. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get interrupted(): boolean {
    return this.#received !== null;
  }

  /** 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a process it ended. */
  get exitCode(): number {
    return exitCodeOf(this.#received ?? "SIGINT");
  }

  /** Calls `stop` at the first signal (at once if it came already); answers a function that stops listening. */
  onInterrupt(stop: () => void): () => void {
    if (this.interrupted) {
      stop();
      return () => {};
    }
    this.signal.addEventListener("abort", stop, { once: true });
    return () => this.signal.removeEventListener("abort", stop);
  }

  /** Gives the signals back to Node's default (exit at once). */
  dispose(): void {
    for (const name of stopSignals) process.off(name, this.#listener);
  }
}

const exitCodeOf = (signal: NodeJS.Signals) => 128 + constants.signals[signal];
const mustFinishWithinMs = 5_000;

/** The one line an interrupted import ends with: where its job stopped, and what of the file is in. */
export function interruptedLine(job: ImportJobView): string {
  const counts = `created ${job.created}, updated ${job.updated}, unchanged ${job.unchanged}, failed ${job.failed}`;
  const rows = job.rowsRead.toLocaleString("en-US");
  if (job.state !== "cancelled")
    return `import ${job.id} ${job.state} before it could be cancelled (rows ${rows}: ${counts})`;
  if (job.rowsRead === 0) return `import ${job.id} cancelled before its first row; nothing of the file is in`;
  if (job.dryRun)
    return `import ${job.id} cancelled after row ${rows} (dry run: nothing was written; ${counts})`;
  return `import ${job.id} cancelled after row ${rows}; the rows up to it are in (${counts})`;
}
