/**
 * An error the person running Tributary fixes, not a bug: a bad setting, a database that cannot be
 * reached, a data folder another process holds. The CLI prints its message as one line, without a stack.
 */
export class OperatorError extends Error {
  override readonly name: string = "OperatorError";
}
