/**
 * A refusal of a CLI command, printed as one line (`tributary: …`) with its exit code: 1, or 128 + the
 * signal's number for an import stopped by Ctrl-C or SIGTERM (130, 143), as a shell reports a process the
 * signal ended.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
