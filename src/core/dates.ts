const datePattern = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/;

/** Reads YYYY-MM-DD (or the date part of an ISO timestamp, as written, with no zone shift); null when not a real date. */
export function parseDateOnly(value: string): string | null {
  const m = datePattern.exec(value.trim());
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** Reads an ISO timestamp or epoch milliseconds; null when neither. */
export function parseTimestamp(value: string | number): Date | null {
  const date = typeof value === "number" ? new Date(value) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

// An ISO 8601 date, or date and time with an optional zone: what JavaScript and PostgreSQL read alike.
const isoTimestampPattern =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Reads a strict ISO 8601 timestamp (a time without a zone is UTC, whatever the process's zone) or epoch
 * milliseconds, as one canonical ISO string; null when it is neither or not a real instant.
 */
export function parseIsoInstant(value: string | number): string | null {
  if (typeof value === "number") {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date.toISOString();
  }
  const m = isoTimestampPattern.exec(value.trim());
  if (!m || parseDateOnly(m[1]) === null) return null;
  // Fractions past milliseconds (.NET writes seven digits) are cut, as a JavaScript date cannot hold them.
  const time = (m[2] ?? "00:00").replace(/(\.\d{3})\d+$/, "$1");
  let zone = m[3] ?? "Z";
  if (/^[+-]\d{2}$/.test(zone)) zone = `${zone}:00`;
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const date = new Date(`${m[1]}T${time}${zone.toUpperCase()}`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
