// String.prototype.isWellFormed is native in Node 20 (V8 11.3); the ES2022 lib does not declare it yet.
/** Whether a string is valid Unicode (no unpaired UTF-16 surrogate). */
export const isWellFormed = (text: string): boolean =>
  (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Why a text cannot be stored as PostgreSQL text, or null (not a string, or fine). Said on the field: a batch's
 * values reach PostgreSQL in one statement, where one NUL fails every record of it with no name on the error.
 */
export function textProblem(value: unknown): string | null {
  if (typeof value !== "string") return null;
  if (value.includes("\u0000")) return "contains a NUL (U+0000) character";
  if (!isWellFormed(value)) return "contains an unpaired surrogate (it is not valid Unicode)";
  return null;
}
