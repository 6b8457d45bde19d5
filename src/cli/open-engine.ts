import { mkdirSync } from "node:fs";
import type { Config } from "../config.js";
import { OperatorError } from "../operator-error.js";
import { migrateToLatest, openStore, type Store } from "../store/database.js";

/** Opens the engine the configuration names (PostgreSQL when DATABASE_URL is set, else PGlite in the data folder) and migrates it. */
export async function openEngine(config: Config): Promise<Store> {
  if (!config.databaseUrl) mkdirSync(config.dataDir, { recursive: true });
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir,
    preparedStatements: config.preparedStatements,
  });
  try {
    await migrateToLatest(store);
  } catch (error) {
    await store.close().catch(() => {});
    throw new OperatorError(`cannot use ${describeEngine(config)}: ${reasonOf(error)}`);
  }
  return store;
}

/** Where the configuration points, for messages: never a password. */
export function describeEngine(config: Pick<Config, "databaseUrl" | "dataDir">): string {
  if (!config.databaseUrl) return `the PGlite data folder ${config.dataDir}`;
  try {
    const url = new URL(config.databaseUrl);
    return `PostgreSQL at ${url.host}${url.pathname} (DATABASE_URL)`;
  } catch {
    return "the PostgreSQL server of DATABASE_URL (not a valid URL)";
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0]);
  return error instanceof Error ? error.message : String(error);
}
