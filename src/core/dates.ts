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

/** The order of a file's dates, as HubSpot's imports name it (`dateFormat`). */
export const dateFormats = ["YEAR_MONTH_DAY", "DAY_MONTH_YEAR", "MONTH_DAY_YEAR"] as const;
export type DateFormat = (typeof dateFormats)[number];

/** How each order is written, for messages. */
export const dateFormatPatterns: Readonly<Record<DateFormat, string>> = {
  YEAR_MONTH_DAY: "YYYY-MM-DD",
  DAY_MONTH_YEAR: "DD/MM/YYYY",
  MONTH_DAY_YEAR: "MM/DD/YYYY",
};

// A spreadsheet's date: three numbers split by / . or -, one or two digits for day and month, then an optional
// time. The year must have four digits: a two-digit year is a guess about the century.
const yearFirst = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?:[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$/;
const yearLast = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$/;

/**
 * A spreadsheet's date (or date and time) read in the file's date order, written as ISO (`YYYY-MM-DD`, or
 * `YYYY-MM-DDTHH:MM:SS` with a time, no zone); null when the text is not such a date or names no real day.
 * A year-first date reads the same in every order. Anything else is left to the field's own rules.
 */
export function readDateInFormat(text: string, format: DateFormat): string | null {
  const trimmed = text.trim();
  let year: string;
  let month: string;
  let day: string;
  let time: string | undefined;
  const first = yearFirst.exec(trimmed);
  const last = first ? null : yearLast.exec(trimmed);
  if (first) [, year, month, day, time] = first;
  else if (last && format === "DAY_MONTH_YEAR") [, day, month, year, time] = last;
  else if (last && format === "MONTH_DAY_YEAR") [, month, day, year, time] = last;
  else return null;
  const date = parseDateOnly(`${year}-${month.padStart(2, "0")}-${day.padStart(2, "0")}`);
  if (!date) return null;
  if (time === undefined) return date;
  const [hours, minutes, seconds = "00"] = time.split(":");
  if (Number(hours) > 23 || Number(minutes) > 59 || Number.parseFloat(seconds) >= 60) return null;
  return `${date}T${hours.padStart(2, "0")}:${minutes}:${seconds.padStart(2, "0")}`;
}

/** Whether a text is a day-first or month-first date, which only the file's date order can read. */
export function isYearLastDate(text: string): boolean {
  return yearLast.test(text.trim());
}
