// npm run bench -- jsv-parse [--mb N] [--reps N]
// Builds about N MB (default 10) of JSV: one map holding a list of contact-like maps with 57 snake_case fields,
// the shape ServiceStack's bulk-upsert sample has. Times parseJsv on it and JSON.parse on the same data as
// JSON, best of several alternating repetitions, and prints MB/s for each and the ratio (the target is at least 1/3).
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parseJsv } from "../src/formats/jsv/parse.js";
import { stringifyJsv } from "../src/formats/jsv/stringify.js";

const { values } = parseArgs({
  options: { mb: { type: "string", default: "10" }, reps: { type: "string", default: "10" } },
});
const targetBytes = Number(values.mb) * 1_000_000;
const reps = Number(values.reps);

const FIELDS = [
  "regent_id",
  "first_name",
  "last_name",
  "middle_name",
  "preferred_name",
  "prefix",
  "addressee",
  "primary_salutation",
  "former_name",
  "spouse_name",
  "spouse_is_main_contact",
  "addr1",
  "addr2",
  "city",
  "state",
  "country",
  "code",
  "dob",
  "deceased_date",
  "citizenship",
  "citizenship_other",
  "permanent_resident",
  "denomination",
  "connection_to_regent",
  "student_segment",
  "reason_added",
  "gender",
  "marital_status",
  "financial_aid_received",
  "is_applicant",
  "solicitation_method",
  "solicitation_exceptions",
  "campaign_monitor_optin",
  "campaign_monitor_suppressed",
  "campaign_monitor_lists",
  "email",
  "email_secondary",
  "phone_home",
  "phone_bus",
  "phone_cell",
  "no_mail",
  "no_email",
  "no_bulk_email",
  "no_phone",
  "no_marketing_materials",
  "prefers_email",
  "prefers_phone",
  "last_credit_class",
  "last_audit_class",
  "last_oncampus_class",
  "last_distance_education_class",
  "last_evening_weekend_class",
  "last_summer_class",
  "last_marketplace_class",
  "last_anglican_studies_class",
  "image_base64",
  "owning_username",
];

function contact(n: number): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let f = 0; f < FIELDS.length; f++) {
    const name = FIELDS[f];
    if (name === "regent_id") record[name] = n;
    else if (name === "dob" || name.startsWith("last_") || name === "deceased_date")
      record[name] = new Date(Date.UTC(1950 + (n % 50), n % 12, 1 + (n % 28)));
    else if (name.startsWith("no_") || name.startsWith("is_") || name.startsWith("prefers_"))
      record[name] = n % 3 === 0;
    else if (name === "addr1") record[name] = `${n} Long Street, Unit ${f}`;
    else if (name === "email") record[name] = `person${n}@example.org`;
    else if (name === "image_base64") record[name] = "";
    else record[name] = `${name.slice(0, 6)} ${n % 997}`;
  }
  return record;
}

const contacts: Record<string, unknown>[] = [];
for (let size = 0; size < targetBytes; size += stringifyJsv(contacts[contacts.length - 1]).length + 1) {
  contacts.push(contact(contacts.length));
}
const jsv = stringifyJsv({ contacts });
const json = JSON.stringify({ contacts });
const mb = (chars: number) => chars / 1_000_000;

// A full collection before each run, so neither parser pays for the garbage the other left behind.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

function seconds(run: () => unknown): number {
  collectGarbage();
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
}

const parsed = parseJsv(jsv) as { contacts: unknown[] };
if (parsed.contacts.length !== contacts.length) throw new Error("parseJsv lost contacts");

// Alternating the two spreads a busy neighbour's noise over both; the best run is the least disturbed.
let jsvSeconds = Number.POSITIVE_INFINITY;
let jsonSeconds = Number.POSITIVE_INFINITY;
for (let r = 0; r < reps; r++) {
  jsvSeconds = Math.min(
    jsvSeconds,
    seconds(() => parseJsv(jsv)),
  );
  jsonSeconds = Math.min(
    jsonSeconds,
    seconds(() => JSON.parse(json)),
  );
}
const jsvRate = mb(jsv.length) / jsvSeconds;
const jsonRate = mb(json.length) / jsonSeconds;
console.log(`${contacts.length} contacts x ${FIELDS.length} fields, best of ${reps} runs`);
console.log(
  `parseJsv   ${mb(jsv.length).toFixed(1)} MB in ${(jsvSeconds * 1000).toFixed(0)} ms: ${jsvRate.toFixed(0)} MB/s`,
);
console.log(
  `JSON.parse ${mb(json.length).toFixed(1)} MB in ${(jsonSeconds * 1000).toFixed(0)} ms: ${jsonRate.toFixed(0)} MB/s`,
);
console.log(
  `ratio: parseJsv runs at ${(jsvRate / jsonRate).toFixed(2)}x JSON.parse's MB/s, ` +
    `${(jsvSeconds / jsonSeconds).toFixed(2)}x its time for the same records`,
);
