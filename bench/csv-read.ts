// npm run bench -- csv-read [--rows N] [--keep] [--file PATH] [--runs N]
// Writes an N-row x 45-column CSV (default 1,000,000) to a temp file, or takes --file, and reads it with
// readCsvRecords counting records, then with csv-parse alone using the options readCsvRecords gave it until
// CsvTokenizer replaced it. Prints rows/s, µs/row, MiB/s and peak RSS of the best of --runs runs (default 3)
// for each, beside the baseline of reading the same bytes and counting newlines, and the ratios.
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "csv-parse";
import { readCsvRecords } from "../src/formats/csv/read-csv.js";
import { legacyCsvParseOptions } from "../test/helpers/csv-parse-oracle.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    keep: { type: "boolean", default: false },
    file: { type: "string" },
    runs: { type: "string", default: "3" },
  },
});
const rows = Number(values.rows);
const runs = Number(values.runs);
const columns = 45;
const dir = values.file === undefined ? mkdtempSync(join(tmpdir(), "csv-read-")) : null;
const file = values.file ?? join(dir as string, "contacts.csv");

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

type Run = { count: number; seconds: number; peakRss: number };

/** The fastest of `runs` runs. */
async function timed(run: () => Promise<number>): Promise<Run> {
  let best: Run | null = null;
  for (let n = 0; n < runs; n++) {
    peakRss = 0;
    sampleRss();
    const timer = setInterval(sampleRss, 50);
    const started = performance.now();
    const count = await run();
    const seconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    sampleRss();
    if (best === null || seconds < best.seconds) best = { count, seconds, peakRss };
  }
  return best as Run;
}

const mib = (bytes: number) => (bytes / (1 << 20)).toFixed(1);

try {
  if (values.file === undefined) await generate();
  const size = statSync(file).size;
  console.log(`file: ${file}, ${mib(size)} MiB; best of ${runs} runs`);

  const baseline = await timed(async () => {
    let newlines = 0;
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
    }
    return newlines;
  });
  const reader = await timed(async () => {
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
  const csvParse = await timed(async () => {
    const parser = createReadStream(file).pipe(parse(legacyCsvParseOptions(",", 1 << 20)));
    let records = 0;
    for await (const _ of parser) {
      records++;
      if ((records & 0xffff) === 0) sampleRss();
    }
    return records - 1;
  });
  if (values.file === undefined && reader.count !== rows) {
    throw new Error(`read ${reader.count} records, expected ${rows}`);
  }
  if (csvParse.count !== reader.count) throw new Error(`csv-parse read ${csvParse.count} records`);

  const line = (name: string, r: Run, unit: string) =>
    console.log(
      `${name.padEnd(30)} ${r.count} ${unit} in ${r.seconds.toFixed(2)} s: ` +
        `${Math.round(r.count / r.seconds).toLocaleString("en")} ${unit}/s, ` +
        `${((r.seconds * 1e6) / r.count).toFixed(2)} µs/${unit.slice(0, -1)}, ` +
        `${(size / (1 << 20) / r.seconds).toFixed(1)} MiB/s, peak RSS ${mib(r.peakRss)} MiB`,
    );
  line("baseline bytes+newlines", baseline, "lines");
  line("readCsvRecords", reader, "rows");
  line("csv-parse (readCsvRecords' old options)", csvParse, "rows");
  console.log(
    `ratio: readCsvRecords takes ${(reader.seconds / baseline.seconds).toFixed(1)}x the baseline's time; ` +
      `csv-parse alone takes ${(csvParse.seconds / reader.seconds).toFixed(1)}x readCsvRecords' time`,
  );
} finally {
  if (values.keep && dir !== null) console.log(`kept ${file}`);
  else if (dir !== null) rmSync(dir, { recursive: true, force: true });
}
