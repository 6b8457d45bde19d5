import { resolve } from "node:path";
import { OperatorError } from "./operator-error.js";

export interface Config {
  host: string;
  port: number;
  /** PostgreSQL URL; undefined means the embedded PGlite engine */
  databaseUrl?: string;
  /** PGlite data folder */
  dataDir: string;
  /** PostgreSQL: run repeated statements as named prepared statements (off behind a pooler that drops them) */
  preparedStatements: boolean;
  /** largest request body, bytes */
  bodyLimit: number;
  /** largest body of the ServiceStack upsert routes, bytes: its contacts may each carry a 5 MiB image */
  serviceStackBodyLimit: number;
  logLevel: string;
  pretty: boolean;
  /** SAM session tokens expire after this much idle time */
  samSessionIdleSeconds: number;
}

const mib = 1024 * 1024;

/** Reads the configuration from the environment (see README's Configuration table). */
export function readConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const number = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new OperatorError(`${name} must be a non-negative number, got '${raw}'`);
    return value;
  };
  const onOff = (name: string, fallback: boolean) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    if (raw === "on") return true;
    if (raw === "off") return false;
    throw new OperatorError(`${name} must be 'on' or 'off', got '${raw}'`);
  };
  // Session lifetimes are stored as whole seconds: 90.5 would make every login fail at the database.
  const wholeSeconds = (value: number) => {
    if (!Number.isSafeInteger(value) || value < 1 || value > 2 ** 31 - 1)
      throw new OperatorError(
        `TRIBUTARY_SAM_SESSION_SECONDS must be a whole number of seconds ≥ 1, got '${value}'`,
      );
    return value;
  };
  return {
    host: env.HOST || "127.0.0.1",
    port: number("PORT", 8080),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.TRIBUTARY_DATA || "./data"),
    preparedStatements: onOff("TRIBUTARY_PREPARED_STATEMENTS", true),
    bodyLimit: number("TRIBUTARY_BODY_LIMIT", 10 * mib),
    serviceStackBodyLimit: number("TRIBUTARY_SERVICESTACK_BODY_LIMIT", 64 * mib),
    logLevel: env.LOG_LEVEL || "info",
    pretty: false,
    samSessionIdleSeconds: wholeSeconds(number("TRIBUTARY_SAM_SESSION_SECONDS", 30 * 60)),
    ...overrides,
  };
}
