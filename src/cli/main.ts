import { Command, InvalidArgumentError } from "commander";
import { hashPassword } from "../auth/password-hash.js";
import { readConfig } from "../config.js";
import { type ReferenceKind, referenceKinds } from "../core/contact-fields.js";
import { TributaryError } from "../core/errors.js";
import { OperatorError } from "../operator-error.js";
import { DataFolderInUseError } from "../store/data-folder-lock.js";
import type { Store } from "../store/database.js";
import { CliError } from "./cli-error.js";
import { registerExportCommand } from "./export-command.js";
import { registerImportCommand } from "./import-command.js";
import { readStdin } from "./read-stdin.js";
import { jsonAnswer } from "./server-answer.js";

// Every command prints only the asked-for value on stdout, so scripts can capture it; the rest goes to stderr.

// Each command loads its modules when it runs (the dynamic imports below and in import-command.ts and
// export-command.ts); this file imports statically only what parsing the arguments needs. Imported up front,
// they cost 0.9 s before a byte was sent (measured per module: the HTTP server 0.8 s, the database engine
// 0.35 s, node itself 0.05 s), and `import --server`, `export --server` or `token --server` need neither.

const program = new Command()
  .name("tributary")
  .description("Contact-ingestion CRM core: vendors' bulk-contact APIs in, one clean contact list out")
  .showHelpAfterError();

// A server takes the folder's lock before it migrates and listens: a command sent right after `npm start &`
// waits for its socket this long before giving up with the lock's message.
const serverStartWaitMs = 15_000;

async function serverAnswer(
  dataDir: string,
  holder: Exclude<DataFolderInUseError["holder"], "this process">,
  command: string,
  args: Record<string, unknown>,
) {
  const waitUntil = /\bserve\b/.test(holder.command) ? Date.now() + serverStartWaitMs : 0;
  const { sendOperatorCommand } = await import("./operator-socket.js");
  for (;;) {
    const answer = await sendOperatorCommand(dataDir, command, args);
    if (answer || Date.now() >= waitUntil) return answer;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Runs one of the CLI's engine commands (operator-commands.ts) on the engine the configuration names; when a
 * running `tributary serve` holds the PGlite data folder, that server runs it, through its socket.
 */
async function runOperator(command: string, args: Record<string, unknown>): Promise<void> {
  const config = readConfig();
  const [{ openEngine }, { operatorCommands }] = await Promise.all([
    import("./open-engine.js"),
    import("./operator-commands.js"),
  ]);
  let store: Store;
  try {
    store = await openEngine(config);
  } catch (error) {
    if (!(error instanceof DataFolderInUseError) || error.holder === "this process") throw error;
    const answer = await serverAnswer(config.dataDir, error.holder, command, args);
    if (!answer) throw error;
    for (const line of answer.err) console.error(line);
    for (const line of answer.out) console.log(line);
    if (answer.error !== undefined) throw new CliError(answer.error);
    return;
  }
  try {
    await operatorCommands[command](store, args, { log: console.log, error: console.error });
  } finally {
    await store.close();
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
// Called in the commands' actions, so an unknown kind is a CliError: one line, no stack.
const kindArg = (raw: string): ReferenceKind => {
  const kind = raw.replace(/-/g, "_") as ReferenceKind;
  if (!referenceKinds.includes(kind))
    throw new CliError(
      `unknown reference kind '${raw}': use one of ${referenceKinds.map((k) => k.replace(/_/g, "-")).join(", ")}`,
    );
  return kind;
};

program
  .command("serve")
  .description("run the HTTP server (HOST, PORT, DATABASE_URL or TRIBUTARY_DATA)")
  .option("--pretty", "human-readable logs instead of JSON")
  .action(async (options: { pretty?: boolean }) => {
    const config = readConfig(process.env, { pretty: Boolean(options.pretty) });
    // The engine opens before the HTTP server loads (0.8 s): on PGlite that takes the data folder's lock, so a
    // CLI command started meanwhile finds the folder held by the server (and is sent to it, or refused), rather
    // than taking the folder first and making the server fail to start.
    const [{ createLogger }, { openEngine }] = await Promise.all([
      import("../logger.js"),
      import("./open-engine.js"),
    ]);
    const logger = createLogger({ level: config.logLevel, pretty: config.pretty });
    const store = await openEngine(config);
    const [{ buildApp }, { listenOperatorSocket }, { latestSchemaVersion }] = await Promise.all([
      import("../http/app.js"),
      import("./operator-socket.js"),
      import("../store/database.js"),
    ]);
    const app = await buildApp({ store, config, logger });
    let closeOperator = () => Promise.resolve();
    const stop = async (signal: string) => {
      logger.info({ signal }, "shutting down");
      await closeOperator();
      await app.close();
      await store.close();
      process.exit(0);
    };
    process.once("SIGINT", () => void stop("SIGINT"));
    process.once("SIGTERM", () => void stop("SIGTERM"));
    try {
      await app.listen({ host: config.host, port: config.port });
    } catch (error) {
      await app.close().catch(() => {});
      await store.close().catch(() => {});
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL")
        throw new OperatorError(
          `cannot listen on ${config.host}:${config.port} (HOST, PORT): ${code === "EADDRINUSE" ? "the port is in use" : (error as Error).message}`,
        );
      throw error;
    }
    // On PGlite the server holds the data folder: it runs the CLI's tenant, user, token and ref commands.
    // Without the socket the server still serves; those commands then wait for it to stop, as before.
    const operator = config.databaseUrl
      ? undefined
      : await listenOperatorSocket(store, config.dataDir, logger).catch((error: unknown) => {
          logger.warn({ err: error }, "no socket for CLI commands: they need the server stopped");
          return undefined;
        });
    closeOperator = () => operator?.close() ?? Promise.resolve();
    logger.info(
      {
        engine: store.engine,
        schemaVersion: latestSchemaVersion,
        dataDir: config.databaseUrl ? undefined : config.dataDir,
      },
      "tributary ready",
    );
  });

program
  .command("migrate")
  .description("bring the database schema to the latest version; prints the version")
  .action(() => runOperator("migrate", {}));

const tenant = program.command("tenant").description("tenants");
tenant
  .command("create <name>")
  .description("create a tenant with default reference data; prints its id")
  .action((name: string) => runOperator("tenant.create", { name }));
tenant
  .command("list")
  .description("list tenants as id<TAB>name")
  .action(() => runOperator("tenant.list", {}));

/** With `--server URL --token T` a command talks to a running server; otherwise it opens the engine. */
interface ServerTarget {
  tenant?: string;
  server?: string;
  token?: string;
}
const serverOptions = (command: Command) =>
  command
    .option(
      "--server <url>",
      "a running Tributary server, over HTTP (one that holds this machine's PGlite data folder is reached without it)",
    )
    .option("--token <token>", "an admin token of the tenant, for --server");

/** A call to a running server's native API (`path` under /api/v1) with an admin token; its JSON answer. */
async function serverApi(target: ServerTarget, method: string, path: string, body?: unknown) {
  if (!target.token) throw new CliError("--server needs --token (an admin token of the tenant)");
  const res = await fetch(`${(target.server as string).replace(/\/$/, "")}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${target.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    // A server that cannot be reached is told in one line by the handler at the end of this file.
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await jsonAnswer<{ error?: { message?: string } } & Record<string, unknown>>(res);
  if (!res.ok)
    throw new CliError(`the server answered ${res.status}: ${answer.error?.message ?? res.statusText}`);
  return answer;
}

const needTenant = (target: ServerTarget): string => {
  if (!target.tenant) throw new CliError("give --tenant NAME (the local engine) or --server URL --token T");
  return target.tenant;
};

const user = program
  .command("user")
  .description("users, on the engine (--tenant) or through a running server");
serverOptions(
  user
    .command("create")
    .description("create a user; prints its id")
    .option("--tenant <name>", "tenant name (the local engine)")
    .requiredOption("--username <u>", "user name")
    .option("--email <email>", "email (SAM logs in by email; defaults to the user name when it is one)")
    .requiredOption("--role <role>", "role (repeatable), e.g. admin, contacts:write, REGISUserRole", collect)
    .option("--password-stdin", "read the password from standard input"),
).action(
  async (
    options: ServerTarget & { username: string; email?: string; role: string[]; passwordStdin?: boolean },
  ) => {
    let password: string | undefined;
    if (options.passwordStdin) {
      password = (await readStdin()).replace(/\r?\n$/, "");
      if (password.length < 8) throw new CliError("the password must have at least 8 characters");
    }
    if (options.server) {
      const created = await serverApi(options, "POST", "/users", {
        username: options.username,
        roles: options.role,
        ...(options.email !== undefined ? { email: options.email } : {}),
        ...(password !== undefined ? { password } : {}),
      });
      console.log(created.id);
      return;
    }
    await runOperator("user.create", {
      tenant: needTenant(options),
      username: options.username,
      email: options.email,
      passwordHash: password === undefined ? null : await hashPassword(password),
      roles: options.role,
    });
  },
);

const token = program
  .command("token")
  .description(
    "API tokens, on the engine (--tenant) or through a running server (--server, --token of an admin)",
  );

serverOptions(
  token
    .command("create")
    .description("create an API token; prints the token (shown only this once)")
    .option("--tenant <name>", "tenant name (the local engine)")
    .option("--user <username>", "the user the token acts for")
    .requiredOption("--role <role>", "role (repeatable)", collect)
    .option("--expires-in <days>", "expire after this many days", (v) => {
      const days = Number(v);
      if (!(days > 0)) throw new InvalidArgumentError("a positive number of days");
      return days;
    }),
).action(async (options: ServerTarget & { user?: string; role: string[]; expiresIn?: number }) => {
  if (options.server) {
    const issued = await serverApi(options, "POST", "/tokens", {
      roles: options.role,
      ...(options.user ? { user: options.user } : {}),
      ...(options.expiresIn ? { expiresInDays: options.expiresIn } : {}),
    });
    console.error(
      `token id ${issued.id} (revoke with: tributary token revoke ${issued.id} --server … --token …)`,
    );
    console.log(issued.token);
    return;
  }
  await runOperator("token.create", {
    tenant: needTenant(options),
    roles: options.role,
    user: options.user,
    expiresInDays: options.expiresIn,
  });
});
serverOptions(token.command("revoke <id>").description("revoke a token by id")).action(
  async (id: string, options: ServerTarget) => {
    if (!/^\d+$/.test(id)) throw new CliError("the token id is a number");
    if (!options.server) return runOperator("token.revoke", { id: Number(id) });
    await serverApi(options, "DELETE", `/tokens/${id}`);
    console.log(id);
  },
);
serverOptions(
  token
    .command("list")
    .description("list a tenant's tokens as id<TAB>kind<TAB>roles<TAB>state")
    .option("--tenant <name>", "tenant name (the local engine)"),
).action(async (options: ServerTarget) => {
  if (!options.server) return runOperator("token.list", { tenant: needTenant(options) });
  const rows = (await serverApi(options, "GET", "/tokens")).data as Array<{
    id: number;
    kind: string;
    roles: string[];
    state: string;
  }>;
  for (const r of rows) console.log(`${r.id}\t${r.kind}\t${r.roles.join(",")}\t${r.state}`);
});

const ref = program
  .command("ref")
  .description(
    "reference data: salutation, country, heat-status, channel, sub-channel, contact-status, intake; on the engine (--tenant) or through a running server (--server, --token of an admin)",
  );
const wireKind = (kind: ReferenceKind) => kind.replace(/_/g, "-");
interface ReferenceRow {
  id: number;
  name: string;
  code: string | null;
  active: boolean;
}
serverOptions(
  ref
    .command("add <kind> <name>")
    .description("add a reference row; prints its id")
    .option("--tenant <name>", "tenant name (the local engine)")
    .option("--code <code>", "code (ISO 3166 alpha-2 for countries)")
    .option("--parent <name>", "parent channel, for a sub-channel"),
).action(async (kind: string, name: string, options: ServerTarget & { code?: string; parent?: string }) => {
  const k = kindArg(kind);
  const parentName = options.parent ?? "External";
  if (options.server) {
    let parentId: number | undefined;
    if (k === "sub_channel") {
      const channels = (await serverApi(options, "GET", "/reference/channel?includeInactive=true"))
        .data as ReferenceRow[];
      parentId = channels.find((c) => c.name.toLowerCase() === parentName.toLowerCase())?.id;
      if (parentId === undefined) throw new CliError(`no channel '${parentName}'`);
    }
    const added = await serverApi(options, "POST", `/reference/${wireKind(k)}`, {
      name,
      ...(options.code !== undefined ? { code: options.code } : {}),
      ...(parentId !== undefined ? { parentId } : {}),
    });
    console.log(added.id);
    return;
  }
  await runOperator("ref.add", {
    tenant: needTenant(options),
    kind: k,
    name,
    code: options.code,
    parent: parentName,
  });
});
serverOptions(
  ref
    .command("list <kind>")
    .description("list reference rows as id<TAB>name<TAB>code<TAB>state")
    .option("--tenant <name>", "tenant name (the local engine)"),
).action(async (kind: string, options: ServerTarget) => {
  const k = kindArg(kind);
  if (!options.server) return runOperator("ref.list", { tenant: needTenant(options), kind: k });
  const rows = (await serverApi(options, "GET", `/reference/${wireKind(k)}?includeInactive=true`))
    .data as ReferenceRow[];
  for (const r of rows)
    console.log(`${r.id}\t${r.name}\t${r.code ?? ""}\t${r.active ? "active" : "inactive"}`);
});
for (const [command, description, change] of [
  ["rename <kind> <id> <name>", "rename a reference row", (name?: string) => ({ name })],
  ["deactivate <kind> <id>", "refuse a reference row for new writes", () => ({ active: false })],
  ["activate <kind> <id>", "accept a deactivated reference row again", () => ({ active: true })],
] as const) {
  serverOptions(
    ref.command(command).description(description).option("--tenant <name>", "tenant name (the local engine)"),
  ).action(async (kind: string, id: string, ...rest: unknown[]) => {
    const k = kindArg(kind);
    if (!/^\d+$/.test(id)) throw new CliError("the reference row id is a number");
    const options = rest.find(
      (r) => typeof r === "object" && r !== null && !(r instanceof Command),
    ) as ServerTarget;
    const name = typeof rest[0] === "string" ? rest[0] : undefined;
    if (options.server) {
      const updated = await serverApi(options, "PATCH", `/reference/${wireKind(k)}/${id}`, change(name));
      console.log(updated.id);
      return;
    }
    await runOperator("ref.update", {
      tenant: needTenant(options),
      kind: k,
      id: Number(id),
      ...change(name),
    });
  });
}

const cliFail = (message: string): never => {
  throw new CliError(message);
};
registerImportCommand(program, cliFail);
registerExportCommand(program, cliFail);

// A server that is down or a name that does not resolve is the user's to fix: one line, not a stack. Every
// command's requests (fetch, or http for an upload) end here, wherever in the command they were made.
const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

/** The reason a request could not reach the server (fetch puts it in `cause`), or null for other errors. */
function unreachableReason(error: unknown): string | null {
  for (let e = error as { code?: string; message?: string; cause?: unknown } | undefined; e; ) {
    if (e.code && networkCodes.has(e.code)) return e.message ?? e.code;
    // undici's own refusals (a blocked port, a bad URL scheme) carry no code.
    if (e instanceof TypeError && e.message === "fetch failed" && e.cause instanceof Error)
      return e.cause.message;
    e = e.cause as typeof e;
  }
  return null;
}

program.parseAsync().catch((error: unknown) => {
  const unreachable = unreachableReason(error);
  if (error instanceof CliError || error instanceof TributaryError || error instanceof OperatorError)
    console.error(`tributary: ${error.message}`);
  else if (unreachable) console.error(`tributary: cannot reach the server: ${unreachable}`);
  else console.error(error);
  process.exit(error instanceof CliError ? error.exitCode : 1);
});
