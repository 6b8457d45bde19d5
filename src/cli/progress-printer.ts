import type { ImportJobView } from "../jobs/import-progress.js";

/** Shows a job's progress as it runs, and ends the display once it has finished. */
export interface ProgressPrinter {
  show(job: ImportJobView): void;
  /** Ends a bar's line, so that what is printed next (the summary, an error) starts on a line of its own. */
  end(): void;
}

/** Where progress goes: standard error, or a test's stand-in. */
export type ProgressStream = Pick<NodeJS.WriteStream, "isTTY" | "write">;

/** Draws progress on stderr: a bar redrawn in place on a terminal, a plain line every few seconds otherwise. */
export function progressPrinter(stream: ProgressStream = process.stderr): ProgressPrinter {
  const tty = Boolean(stream.isTTY);
  let lastLine = 0;
  // A bar drawn and its line not ended yet: end() ends it once, and only then.
  let barOpen = false;
  return {
    show(job: ImportJobView) {
      const eta = job.etaSeconds === null ? "–" : `${job.etaSeconds}s`;
      const text = `${job.state} ${job.percent.toFixed(1)}% ${job.rowsRead.toLocaleString("en-US")} rows ${job.rowsPerSecond.toLocaleString("en-US")} rows/s ETA ${eta}`;
      if (tty) {
        const width = 30;
        const filled = Math.round((job.percent / 100) * width);
        stream.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${text}\u001b[K`);
        barOpen = true;
      } else if (Date.now() - lastLine >= 2000 || job.state !== "running") {
        lastLine = Date.now();
        stream.write(`${text}\n`);
      }
    },
    end() {
      if (barOpen) stream.write("\n");
      barOpen = false;
    },
  };
}
