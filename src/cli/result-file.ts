import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Writes one of an import's result files. A write that fails once the job has ended (a disk that fills up)
 * answers its reason as one line, for the summary to say which file is missing and why, instead of an
 * unhandled stream error.
 */
export async function writeResultFile(
  option: string,
  path: string,
  content: Readable | AsyncIterable<string>,
): Promise<string | null> {
  try {
    await pipeline(content, createWriteStream(path));
    return null;
  } catch (error) {
    return `${option}: cannot write ${path}: ${(error as Error).message}`;
  }
}
