// npm run bench -- csv-read [--rows N] [--keep]
// Writes an N-row x 45-column CSV (default 1,000,000) to a temp file, reads it with readCsvRecords counting
// records, and prints rows/s, MB/s and peak RSS; as the baseline, the rate of reading the same bytes and
// counting newlines, and the ratio between the two.
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readCsvRecords } from "../src/formats/csv/read-csv.js";

const { values } = parseArgs({
  options: { rows: { type: "string", default: "1000000" }, keep: { type: "boolean", default: false } },
});
const rows = Number(values.rows);
const columns = 45;
const dir = mkdtempSync(join(tmpdir(), "csv-read-"));
const file = join(dir, "contacts.csv");

function cell(row: number, column: number): string {
  switch (column % 9) {
    case 0:
      return `C-${row}`;
    case 1:
      return `Given${row % 5000}`;
    case 2:
      return `person${row}@example.org`;
    case 3:
      return `"${row} Long Street, Unit ${column}"`;
    case 4:
      return String((row * 7919 + column) % 100000);
    case 5:
      return `19${50 + (row % 50)}-0${1 + (row % 9)}-1${row % 9}`;
    case 6:
      return row % 3 === 0 ? "" : "Sydney";
    case 7:
      return `04${String(row).padStart(8, "0")}`;
    default:
      return "José Zürich";
  }
}

async function generate(): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${Array.from({ length: columns }, (_, c) => `field_${c}`).join(",")}\r\n`);
  let batch = "";
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) batch += c === 0 ? cell(r, c) : `,${cell(r, c)}`;
    batch += "\r\n";
    if (batch.length > 1 << 16) {
      if (!out.write(batch)) await once(out, "drain");
      batch = "";
    }
  }
  out.end(batch);
  await once(out, "finish");
}

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

async function timed(
  run: () => Promise<number>,
): Promise<{ count: number; seconds: number; peakRss: number }> {
  peakRss = 0;
  sampleRss();
  const timer = setInterval(sampleRss, 50);
  const started = performance.now();
  const count = await run();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  sampleRss();
  return { count, seconds, peakRss };
}

const mib = (bytes: number) => (bytes / (1 << 20)).toFixed(1);

try {
  await generate();
  const size = statSync(file).size;
  console.log(`file: ${rows} rows x ${columns} columns, ${mib(size)} MiB`);

  const baseline = await timed(async () => {
    let newlines = 0;
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
    }
    return newlines;
  });
  const csv = await timed(async () => {
    let records = 0;
    let errors = 0;
    for await (const outcome of readCsvRecords(createReadStream(file))) {
      if (outcome.kind === "record") records++;
      else errors++;
      if ((records & 0xffff) === 0) sampleRss();
    }
    if (errors > 0) throw new Error(`${errors} rows failed`);
    return records;
  });
  if (csv.count !== rows) throw new Error(`read ${csv.count} records, expected ${rows}`);

  const line = (name: string, r: { count: number; seconds: number; peakRss: number }, unit: string) =>
    console.log(
      `${name.padEnd(26)} ${r.count} ${unit} in ${r.seconds.toFixed(2)} s: ` +
        `${Math.round(r.count / r.seconds).toLocaleString("en")} ${unit}/s, ` +
        `${(size / (1 << 20) / r.seconds).toFixed(1)} MiB/s, peak RSS ${mib(r.peakRss)} MiB`,
    );
  line("baseline bytes+newlines", baseline, "lines");
  line("readCsvRecords", csv, "rows");
  console.log(
    `ratio: readCsvRecords takes ${(csv.seconds / baseline.seconds).toFixed(1)}x the baseline's time`,
  );
} finally {
  if (values.keep) console.log(`kept ${file}`);
  else rmSync(dir, { recursive: true, force: true });
}
