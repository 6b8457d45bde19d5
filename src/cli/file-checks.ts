import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";

// A command checks its files before it starts: an import that ran for minutes must not end in a stack trace
// because its errors file has nowhere to go.

/** Why a file cannot be read as given (absent, a folder, not readable), or null when it can be. */
export function whyUnreadable(file: string): string | null {
  try {
    if (!statSync(file).isFile()) return `${file} is not a file`;
    accessSync(file, constants.R_OK);
    return null;
  } catch (error) {
    return describeFileError(file, error);
  }
}

/** Why a file cannot be written (its folder is missing or not writable, it is a folder), or null. */
export function whyUnwritable(file: string): string | null {
  try {
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) return `${file} is a folder`;
    const folder = dirname(file);
    if (!statSync(folder).isDirectory()) return `cannot write ${file}: ${folder} is not a folder`;
    accessSync(folder, constants.W_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `cannot write ${file}: no folder ${dirname(file)}`;
    return describeFileError(file, error);
  }
}

function describeFileError(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `no file ${file}`;
  if (code === "EACCES") return `cannot use ${file}: permission denied`;
  return `cannot use ${file}: ${(error as Error).message}`;
}
