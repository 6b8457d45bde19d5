/** One NDJSON line. JSON.stringify escapes CR and LF inside strings, so the record stays on one line. */
export function ndjsonLine(record: Record<string, unknown>): string {
  return `${JSON.stringify(record)}\n`;
}
