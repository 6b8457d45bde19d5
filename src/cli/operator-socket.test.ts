import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore } from "../../test/helpers/test-store.js";
import { listenOperatorSocket, operatorSocketPath, sendOperatorCommand } from "./operator-socket.js";

/** Sends raw text to the socket and answers what came back. */
function sendRaw(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path, () => socket.end(text));
    let reply = "";
    socket.setEncoding("utf8");
    socket.on("data", (piece: string) => {
      reply += piece;
    });
    socket.on("end", () => resolve(reply));
    socket.on("error", reject);
  });
}

describe("the server's socket for CLI commands", () => {
  let store: TestStore;
  let dataDir: string;
  let socket: { close(): Promise<void> } | undefined;

  beforeAll(async () => {
    store = await openTestStore("pglite");
    dataDir = mkdtempSync(join(tmpdir(), "tributary-operator-"));
    socket = await listenOperatorSocket(store, dataDir, pino({ level: "silent" }));
  });
  afterAll(async () => {
    await socket?.close();
    await store.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs a command on the server's store and answers its lines", async () => {
    expect(await sendOperatorCommand(dataDir, "tenant.create", { name: "Riverside" })).toEqual({
      out: ["1"],
      err: [],
    });
    expect(await sendOperatorCommand(dataDir, "tenant.list", {})).toEqual({ out: ["1\tRiverside"], err: [] });
    const issued = await sendOperatorCommand(dataDir, "token.create", {
      tenant: "Riverside",
      roles: ["admin"],
    });
    expect(issued).toEqual({
      out: [expect.stringMatching(/^\S{40,}$/)],
      err: ["token id 1 (revoke with: tributary token revoke 1)"],
    });
  });

  it("answers a refusal as one message, and never a stack", async () => {
    expect(await sendOperatorCommand(dataDir, "tenant.create", { name: "Riverside" })).toEqual({
      out: [],
      err: [],
      error: "a tenant named 'Riverside' exists already",
    });
    expect(
      await sendOperatorCommand(dataDir, "token.create", { tenant: "Riverside", roles: "admin" }),
    ).toEqual({
      out: [],
      err: [],
      error: "roles must be a list of texts",
    });
    for (const command of ["__proto__", "toString", "drop"])
      expect(await sendOperatorCommand(dataDir, command, {})).toEqual({
        out: [],
        err: [],
        error: `unknown command "${command}"`,
      });
    const path = operatorSocketPath(dataDir);
    expect(JSON.parse(await sendRaw(path, "not json\n"))).toEqual({
      out: [],
      err: [],
      error: "the request is not JSON",
    });
    expect(JSON.parse(await sendRaw(path, `${"x".repeat(1024 * 1024 + 1)}`))).toEqual({
      out: [],
      err: [],
      error: "request too large",
    });
  });

  it("is the folder owner's alone", () => {
    expect(statSync(join(dataDir, "tributary-operator")).mode & 0o777).toBe(0o700);
    expect(statSync(operatorSocketPath(dataDir)).mode & 0o777).toBe(0o600);
  });

  it("answers undefined where no server listens, so the CLI keeps the lock's own message", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "tributary-operator-"));
    try {
      expect(await sendOperatorCommand(elsewhere, "tenant.list", {})).toBeUndefined();
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
