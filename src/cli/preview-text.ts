import type { ImportPreview } from "../jobs/preview-import.js";

/**
 * A preview as a person reads it on a terminal: the mapping each column got (or that it is not imported),
 * then one line per previewed row with its would-be outcome and, for a refused row, every error by column.
 */
export function previewText(preview: ImportPreview): string {
  const dates = preview.dateFormat === "YEAR_MONTH_DAY" ? "" : `, dates ${preview.dateFormat}`;
  const lines = [
    `preview: ${preview.shape} shape, ${preview.format}, matching on ${preview.idProperty}${dates}`,
  ];
  const columns = Object.entries(preview.mapping);
  const width = Math.min(40, Math.max(0, ...columns.map(([column]) => column.length)));
  lines.push("columns:");
  for (const [column, target] of columns)
    lines.push(`  ${column.padEnd(width)}  ${target === null ? "(not imported)" : `→ ${target}`}`);
  if (preview.rows.length === 0) lines.push("rows: none in the file");
  else lines.push(`rows (the first ${preview.rows.length}):`);
  for (const row of preview.rows) {
    const matched = row.contactId === null ? "" : ` contact ${row.contactId}`;
    lines.push(`  row ${row.row}: ${row.status}${matched}`);
    for (const error of row.errors)
      lines.push(`    ${error.code}${error.field ? ` ${error.field}` : ""}: ${error.message}`);
  }
  const count = (status: string) => preview.rows.filter((r) => r.status === status).length;
  const counts = ["created", "updated", "unchanged", "skipped", "error"]
    .filter((status) => status !== "skipped" || count(status) > 0)
    .map((status) => `${status === "error" ? "failed" : status} ${count(status)}`);
  lines.push(`would be: ${counts.join(", ")}; nothing was written`);
  return `${lines.join("\n")}\n`;
}
