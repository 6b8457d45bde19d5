import { describe, expect, it } from "vitest";
import type { ImportJobView } from "../jobs/import-progress.js";
import { progressPrinter } from "./progress-printer.js";

const job = {
  state: "running",
  percent: 40,
  rowsRead: 2000,
  rowsPerSecond: 1000,
  etaSeconds: 3,
} as ImportJobView;

function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) > 0 };
}

describe("progressPrinter", () => {
  it("on a terminal, end() ends the bar's line once, so a message after it (an interruption) starts a line", () => {
    const stream = terminal(true);
    const progress = progressPrinter(stream);
    progress.show(job);
    progress.end();
    progress.end();
    expect(stream.written.join("")).toBe(
      "\r[############..................] running 40.0% 2,000 rows 1,000 rows/s ETA 3s\u001b[K\n",
    );
  });

  it("writes no empty line when no bar was drawn, nor on a stream that is not a terminal", () => {
    const none = terminal(true);
    progressPrinter(none).end();
    expect(none.written).toEqual([]);
    const lines = terminal(false);
    const progress = progressPrinter(lines);
    progress.show(job);
    progress.end();
    expect(lines.written).toEqual(["running 40.0% 2,000 rows 1,000 rows/s ETA 3s\n"]);
  });
});
