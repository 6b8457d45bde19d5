import { randomBytes } from "node:crypto";
import pg from "pg";
import { migrateToLatest, openStore, type Store } from "../../src/store/database.js";

/** The PostgreSQL server tests run against too, when the environment names one. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;

/** The engines every store test runs on: PGlite always, PostgreSQL when a URL is set. */
export const testEngines: Array<"pglite" | "postgres"> = testDatabaseUrl
  ? ["pglite", "postgres"]
  : ["pglite"];

export interface TestStore extends Store {
  /** the database URL, for PostgreSQL (to start a server or a second process on the same data) */
  url?: string;
  dispose(): Promise<void>;
}

/** A migrated store in a database of its own (PostgreSQL) or in memory (PGlite), dropped on dispose. */
export async function openTestStore(engine: "pglite" | "postgres", label = "t"): Promise<TestStore> {
  if (engine === "pglite") {
    const store = await openStore({});
    await migrateToLatest(store);
    return { ...store, dispose: () => store.close() };
  }
  if (!testDatabaseUrl) throw new Error("no PostgreSQL URL for tests");
  const name = `tributary_${label
    .replace(/[^a-z0-9]/gi, "_")
    .toLowerCase()
    .slice(0, 30)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  const store = await openStore({ databaseUrl: url.toString(), poolSize: 12 });
  await migrateToLatest(store);
  return {
    ...store,
    url: url.toString(),
    async dispose() {
      await store.close();
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
