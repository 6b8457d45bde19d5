import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { CamelCasePlugin, Kysely, PGliteDialect, PostgresDialect } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { CopyingClient, pgliteWithCopy } from "./copy-in.js";
import { type DataFolderLock, lockDataFolder } from "./data-folder-lock.js";
import { latestSchemaVersion, migrationProvider } from "./migrations/index.js";
import { PreparingClient } from "./prepared-client.js";
import type { Database } from "./schema.js";

// Column names come back camelCased; the keys inside a jsonb value stay as stored. They are the sender's
// own names (an import's mapping is keyed by the file's headers): `first_name` must not come back as
// `firstName`, or the job would look for a column the file does not have.
const camelCaseColumns = new CamelCasePlugin({ maintainNestedObjectKeys: true });

export type EngineName = "pglite" | "postgres";

export interface StoreConfig {
  /** PostgreSQL server URL; when absent the embedded PGlite engine is used */
  databaseUrl?: string;
  /** PGlite data folder; undefined means in memory (tests) */
  dataDir?: string;
  /** pg pool size */
  poolSize?: number;
  /** PostgreSQL: repeated parameterised statements run prepared (prepared-client.ts); default true */
  preparedStatements?: boolean;
}

export interface Store {
  db: Kysely<Database>;
  engine: EngineName;
  /** PGlite with a data folder: where import uploads wait for their jobs, as files (upload-storage.ts) */
  uploadDir?: string;
  /** raw SQL for pg-boss: parameterless multi-statement scripts answer every statement's rows */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /**
   * PostgreSQL: runs `use` on one connection held for its whole duration, for session state such as an
   * advisory lock. A connection that breaks meanwhile is dropped (the session's state goes with it), not
   * thrown at the process.
   */
  withSession?<T>(
    use: (query: (text: string, values?: unknown[]) => Promise<unknown[]>) => Promise<T>,
  ): Promise<T>;
  close(): Promise<void>;
}

const INT8 = 20;
const TEXT = 25;
const DATE = 1082;
const NUMERIC = 1700;

// Ids are bigints in SQL but stay far below 2^53, so numbers are safe and keep JSON answers plain.
// Dates stay strings: a date has no time zone, and JS Date would shift it.
const parseInt8 = (v: string) => Number(v);
const keepText = (v: string) => v;

// PGlite sends a string parameter by measuring its UTF-8 length in a JavaScript loop, character by
// character, then encoding it: for an import chunk's column texts (about 1.3 KB per row) that was 13% of a
// PGlite job. A parameter given as bytes travels in binary format instead, which for text is its UTF-8
// bytes as they are, so a long text goes as one native TextEncoder pass. Short ones stay strings.
const textEncoder = new TextEncoder();
const longText = 4096;
function serializePgliteText(value: unknown): string | Uint8Array {
  const text = value instanceof Date ? value.toISOString() : String(value);
  return text.length > longText ? textEncoder.encode(text) : text;
}

/** Opens the engine the config names: PostgreSQL when a URL is given, PGlite otherwise. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.databaseUrl)
    return openPostgres(config.databaseUrl, config.poolSize ?? 10, config.preparedStatements ?? true);
  return openPglite(config.dataDir);
}

async function openPostgres(url: string, max: number, prepare: boolean): Promise<Store> {
  const types = {
    getTypeParser: (oid: number, format?: "text" | "binary") => {
      if (oid === INT8) return parseInt8;
      if (oid === DATE) return keepText;
      if (oid === NUMERIC) return Number;
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types,
    Client: prepare ? PreparingClient : CopyingClient,
  });
  // A broken idle connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    plugins: [camelCaseColumns],
  });
  return {
    db,
    engine: "postgres",
    async withSession(use) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // An idle checked-out client reports its connection's end as an event: without a listener, a crash.
      const onError = (error: Error) => {
        broken = error;
      };
      client.on("error", onError);
      try {
        return await use(async (text, values) => (await client.query(text, values)).rows);
      } finally {
        client.off("error", onError);
        client.release(broken ?? false);
      }
    },
    async executeSql(text, values) {
      const result = await pool.query(text, values as unknown[] | undefined);
      // pg answers an array of results for a multi-statement script.
      if (Array.isArray(result)) return { rows: result.flatMap((r) => r.rows) };
      return { rows: result.rows };
    },
    close: () => db.destroy(),
  };
}

async function openPglite(dataDir: string | undefined): Promise<Store> {
  let lock: DataFolderLock | undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    lock = lockDataFolder(dataDir);
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({
      dataDir,
      parsers: { [INT8]: parseInt8, [DATE]: keepText, [NUMERIC]: Number },
      serializers: { [TEXT]: serializePgliteText as (value: unknown) => string },
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = new Kysely<Database>({
    dialect: new PGliteDialect({ pglite: pgliteWithCopy(pglite) }),
    plugins: [camelCaseColumns],
  });
  return {
    db,
    engine: "pglite",
    uploadDir: dataDir ? join(dataDir, "tributary-uploads") : undefined,
    async executeSql(text, values) {
      if (values && values.length > 0) {
        const result = await pglite.query(text, values);
        return { rows: result.rows };
      }
      const results = await pglite.exec(text);
      return { rows: results.flatMap((r) => r.rows) };
    },
    close: async () => {
      try {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** Brings the schema to the latest version; throws with the failing migration's name. */
export async function migrateToLatest(store: Store): Promise<string> {
  const migrator = new Migrator({ db: store.db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    // No migration ran: the database itself could not be used (unreachable, refused, missing).
    if (!failed) throw error;
    throw new Error(`migration ${failed.migrationName} failed: ${String(error)}`);
  }
  return latestSchemaVersion;
}

export { latestSchemaVersion };
