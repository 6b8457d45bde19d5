/** A refusal of a CLI command, printed as one line (`tributary: …`) with exit code 1. */
export class CliError extends Error {}
