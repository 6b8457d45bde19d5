import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { TributaryError } from "../core/errors.js";
import { OperatorError } from "../operator-error.js";
import type { Store } from "../store/database.js";
import { CliError } from "./cli-error.js";
import { operatorCommands } from "./operator-commands.js";

// While `tributary serve` holds a PGlite data folder no other process may open it (data-folder-lock.ts), so
// the CLI's own commands (tenant, user, token, ref) would have to wait for the server to stop: the first
// admin token could not be made beside a running server at all. The server takes them instead on a Unix
// socket inside the data folder, in a directory only the folder's owner can enter: whoever can reach the
// socket could read or write the folder's files directly, so it grants nothing a stopped server would not.
// One JSON line in ({command, args}), one JSON line out ({out, err} or {error}).

/** The socket's directory and path for a data folder. */
export function operatorSocketPath(dataDir: string): string {
  return join(dataDir, "tributary-operator", "cli.sock");
}

// A Unix socket path holds at most 107 bytes on Linux; a deeper data folder gets no socket.
const maxSocketPath = 107;
const maxRequestBytes = 1024 * 1024;
const socketIdleMs = 30_000;

export interface OperatorAnswer {
  out: string[];
  err: string[];
  error?: string;
}

/** Starts answering the CLI's commands on the data folder's socket; undefined when its path is too long. */
export async function listenOperatorSocket(
  store: Store,
  dataDir: string,
  logger: Logger,
): Promise<{ close(): Promise<void> } | undefined> {
  const path = operatorSocketPath(dataDir);
  if (Buffer.byteLength(path) > maxSocketPath) {
    logger.warn(
      { path },
      "data folder path too long for the CLI's socket: CLI commands need the server stopped",
    );
    return undefined;
  }
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // The folder's lock is this process's, so a socket file here is a killed server's.
  rmSync(path, { force: true });
  const server: Server = createServer((socket) => {
    let request = "";
    let answered = false;
    const reply = (answer: OperatorAnswer) => socket.end(`${JSON.stringify(answer)}\n`);
    socket.setEncoding("utf8");
    socket.on("error", () => {});
    // A client that connects and sends nothing holds a socket, not the server.
    socket.setTimeout(socketIdleMs, () => socket.destroy());
    socket.on("data", (piece: string) => {
      if (answered) return;
      request += piece;
      const end = request.indexOf("\n");
      if (end < 0 && request.length <= maxRequestBytes) return;
      answered = true;
      socket.pause();
      if (end < 0) reply({ out: [], err: [], error: "request too large" });
      else void answer(store, request.slice(0, end), logger).then(reply);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(path, { force: true });
      }),
  };
}

async function answer(store: Store, line: string, logger: Logger): Promise<OperatorAnswer> {
  const reply: OperatorAnswer = { out: [], err: [] };
  try {
    const request = JSON.parse(line) as { command?: unknown; args?: unknown };
    const name = request.command;
    if (typeof name !== "string" || !Object.hasOwn(operatorCommands, name))
      throw new CliError(`unknown command ${JSON.stringify(name)}`);
    const run = operatorCommands[name];
    const args = typeof request.args === "object" && request.args !== null ? request.args : {};
    await run(store, args as Record<string, unknown>, {
      log: (text) => reply.out.push(text),
      error: (text) => reply.err.push(text),
    });
  } catch (error) {
    if (error instanceof CliError || error instanceof TributaryError || error instanceof OperatorError)
      reply.error = error.message;
    else if (error instanceof SyntaxError) reply.error = "the request is not JSON";
    else {
      logger.error({ err: error }, "CLI command on the operator socket failed");
      reply.error = "the server could not run the command (its log has the cause)";
    }
  }
  return reply;
}

/**
 * Sends a command to the server that holds the data folder; undefined when no server answers on its socket
 * (an older server, a killed one, or the holder is another CLI command).
 */
export function sendOperatorCommand(
  dataDir: string,
  command: string,
  args: Record<string, unknown>,
): Promise<OperatorAnswer | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(operatorSocketPath(dataDir));
    let reply = "";
    let connected = false;
    socket.setEncoding("utf8");
    socket.on("connect", () => {
      connected = true;
      socket.write(`${JSON.stringify({ command, args })}\n`);
    });
    socket.on("data", (piece: string) => {
      reply += piece;
    });
    socket.on("error", (error) => {
      if (!connected) resolve(undefined);
      else reject(new OperatorError(`the server's CLI socket failed: ${error.message}`));
    });
    socket.on("end", () => {
      try {
        resolve(JSON.parse(reply) as OperatorAnswer);
      } catch {
        reject(new OperatorError("the server's CLI socket answered something that is not JSON"));
      }
    });
  });
}
