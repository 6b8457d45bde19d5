import { mkdirSync } from "node:fs";
import type { Config } from "../config.js";
import { migrateToLatest, openStore, type Store } from "../store/database.js";

/** Opens the engine the configuration names (PostgreSQL when DATABASE_URL is set, else PGlite in the data folder) and migrates it. */
export async function openEngine(config: Config): Promise<Store> {
  if (!config.databaseUrl) mkdirSync(config.dataDir, { recursive: true });
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir,
    preparedStatements: config.preparedStatements,
  });
  await migrateToLatest(store);
  return store;
}
