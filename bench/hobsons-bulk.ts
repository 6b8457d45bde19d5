// npm run bench -- hobsons-bulk [--contacts N] [--clients C] [--engine postgres|pglite]
// Inserts N contacts in batches of 100 through Hobsons' POST /api/bulk/contacts and, in the same run and
// server, the same contacts (other StudentIds) through the native POST /api/v1/contacts/batch/upsert;
// prints contacts/s for both and the ratio. The server runs in process on a fresh database: PostgreSQL
// when DATABASE_URL (or TEST_DATABASE_URL) is set and --engine is not pglite, else in-memory PGlite.
// Rounds go in ABBA order (Hobsons, native, native, Hobsons, …) so that a growing table weighs on both alike.
import { parseArgs } from "node:util";
import pg from "pg";
import { readConfig } from "../src/config.js";
import { buildApp } from "../src/http/app.js";
import { issueToken } from "../src/store/api-tokens.js";
import { migrateToLatest, openStore } from "../src/store/database.js";
import { listReferenceItems } from "../src/store/reference-items.js";
import { createTenant } from "../src/store/tenants.js";

const { values } = parseArgs({
  options: {
    contacts: { type: "string", default: "20000" },
    clients: { type: "string", default: "4" },
    engine: { type: "string" },
  },
});
const total = Number(values.contacts);
const clients = Number(values.clients);
const batchSize = 100;
const adminUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
const engine = values.engine ?? (adminUrl ? "postgres" : "pglite");

let databaseUrl: string | undefined;
let dropDatabase = async () => {};
if (engine === "postgres") {
  if (!adminUrl) throw new Error("--engine postgres needs DATABASE_URL");
  const name = `tributary_bench_hobsons_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  dropDatabase = async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  };
}

const store = await openStore({ databaseUrl });
await migrateToLatest(store);
const tenant = await createTenant(store.db, "Bench");
const { token } = await issueToken(store.db, {
  tenantId: tenant.id,
  roles: ["HobsonsApiUser", "contacts:write"],
});
const refId = async (kind: Parameters<typeof listReferenceItems>[2], name: string) =>
  ((await listReferenceItems(store.db, tenant.id, kind)).find((i) => i.name === name) as { id: number }).id;
const refs = {
  salutation: await refId("salutation", "Ms"),
  country: await refId("country", "Australia"),
  heat: await refId("heat_status", "Warm"),
  subChannel: await refId("sub_channel", "Web Form"),
  status: await refId("contact_status", "Enquirer"),
};
const app = await buildApp({ store, config: readConfig({}, { logLevel: "warn" }) });
const address = await app.listen({ host: "127.0.0.1", port: 0 });

// One person, in both wire shapes.
function person(i: number) {
  return {
    studentId: `STU${i}`,
    givenName: `Given${i}`,
    surname: `Surname${i % 5000}`,
    middleName: "Q",
    gender: ["M", "F", "X", "N"][i % 4],
    dateOfBirth: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 9}`,
    email: `person${i}@example.edu`,
  };
}

function hobsonsBody(ids: number[]) {
  return ids.map((i) => {
    const p = person(i);
    return {
      StudentId: p.studentId,
      SalutationId: refs.salutation,
      Name: p.givenName,
      Surname: p.surname,
      MiddleName: p.middleName,
      Gender: p.gender,
      DateOfBirth: `${p.dateOfBirth}T00:00:00+10:00`,
      EmailAddress: p.email,
      IsPermanentResident: i % 2 === 0,
      CountryOfResidenceId: refs.country,
      HeatStatusId: refs.heat,
      HeatStatusChangeReason: "Imported",
      SubChannelId: refs.subChannel,
      ContactStatusId: refs.status,
      Inactive: false,
    };
  });
}

function nativeBody(ids: number[]) {
  return {
    idProperty: "student_institution_id",
    inputs: ids.map((i) => {
      const p = person(i);
      return {
        identifiers: { student_institution_id: p.studentId },
        salutationId: refs.salutation,
        givenName: p.givenName,
        surname: p.surname,
        middleName: p.middleName,
        gender: p.gender,
        dateOfBirth: p.dateOfBirth,
        email: p.email,
        isPermanentResident: i % 2 === 0,
        countryOfResidenceId: refs.country,
        heatStatusId: refs.heat,
        heatStatusReason: "Imported",
        subChannelId: refs.subChannel,
        contactStatusId: refs.status,
        inactive: false,
      };
    }),
  };
}

async function round(path: string, body: (ids: number[]) => unknown, first: number, count: number) {
  const batches: number[][] = [];
  for (let i = 0; i < count; i += batchSize)
    batches.push(Array.from({ length: Math.min(batchSize, count - i) }, (_, k) => first + i + k));
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const res = await fetch(`${address}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(body(batch)),
        });
        if (res.status !== 200) {
          failures++;
          if (failures === 1) console.error(path, res.status, (await res.text()).slice(0, 500));
        } else await res.arrayBuffer();
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, failures };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
try {
  // Warm up both paths (JIT, plan caches) on contacts outside the measured ranges: 50 batches each, so the
  // first measured round does not pay for compiling either dialect's code.
  await round("/api/bulk/contacts", hobsonsBody, 10_000_000, 5000);
  await round("/api/v1/contacts/batch/upsert", nativeBody, 20_000_000, 5000);
  // Rounds in ABBA order (H N N H H N N H): the table grows all along and statistics refresh now and then;
  // a fixed order would charge that drift to whichever endpoint always goes second.
  const rounds = 8;
  const perRound = Math.floor(total / (rounds / 2));
  const measured = { hobsons: { seconds: 0, failures: 0 }, native: { seconds: 0, failures: 0 } };
  for (let r = 0; r < rounds; r++) {
    const hobsonsTurn = [0, 3, 4, 7].includes(r);
    const offset = Math.floor(r / 2) * perRound;
    const measuredRound = hobsonsTurn
      ? await round("/api/bulk/contacts", hobsonsBody, offset, perRound)
      : await round("/api/v1/contacts/batch/upsert", nativeBody, 1_000_000 + offset, perRound);
    const into = hobsonsTurn ? measured.hobsons : measured.native;
    into.seconds += measuredRound.seconds;
    into.failures += measuredRound.failures;
  }
  const measuredTotal = perRound * (rounds / 2);
  const hobsonsRate = measuredTotal / measured.hobsons.seconds;
  const nativeRate = measuredTotal / measured.native.seconds;
  console.log(
    `hobsons-bulk: ${fmt(measuredTotal)} inserts per endpoint, batches of ${batchSize}, ${clients} clients, ${engine}`,
  );
  console.log("| engine | endpoint | contacts/s | failed batches |");
  console.log("|---|---|---|---|");
  console.log(
    `| ${engine} | POST /api/bulk/contacts (Hobsons) | ${fmt(hobsonsRate)} | ${measured.hobsons.failures} |`,
  );
  console.log(
    `| ${engine} | POST /api/v1/contacts/batch/upsert (native) | ${fmt(nativeRate)} | ${measured.native.failures} |`,
  );
  console.log(
    `Hobsons / native: ${(hobsonsRate / nativeRate).toFixed(2)} (dialect cost ${((1 - hobsonsRate / nativeRate) * 100).toFixed(1)}%)`,
  );
} finally {
  await app.close();
  await store.close();
  await dropDatabase();
}
