import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "../src/config.js";
import { latestSchemaVersion } from "../src/store/database.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const mainTs = join(repo, "src/cli/main.ts");
const tsx = import.meta.resolve("tsx");
const scratch: string[] = [];
const execFileAsync = promisify(execFile);

/** A CLI command in the server's folder: its exit code and what it printed. */
async function cli(
  cwd: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...extraEnv };
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ["--import", tsx, mainTs, ...args], {
      cwd,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `tributary serve` as its own process in an empty folder, with only the given variables set. */
function serve(env: Record<string, string>, args: string[] = []) {
  const cwd = mkdtempSync(join(tmpdir(), "tributary-serve-"));
  scratch.push(cwd);
  const clean = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env };
  const child = spawn(process.execPath, ["--import", tsx, mainTs, "serve", ...args], { cwd, env: clean });
  let stdout = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stdout += chunk;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/tributary ready/.test(stdout)) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`serve exited with ${code}: ${stdout}`));
    });
  });
  return { child, cwd: realpathSync(cwd), ready, output: () => stdout };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("runs `tributary serve` from the package's bin, built first", () => {
    const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
    expect(pkg.name).toBe("tributary");
    expect(pkg.bin).toEqual({ tributary: "bin/tributary.js" });
    expect(pkg.scripts.start).toBe("node bin/tributary.js serve");
    expect(pkg.scripts.prestart).toBe("npm run build");
  });

  it("defaults to 127.0.0.1:8080, PGlite in ./data, JSON logs at info", () => {
    expect(readConfig({})).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      databaseUrl: undefined,
      dataDir: join(process.cwd(), "data"),
      logLevel: "info",
      pretty: false,
    });
    expect(
      readConfig({ HOST: "0.0.0.0", PORT: "9000", TRIBUTARY_DATA: "/srv/t", DATABASE_URL: "postgres://x/y" }),
    ).toMatchObject({ host: "0.0.0.0", port: 9000, dataDir: "/srv/t", databaseUrl: "postgres://x/y" });
  });
});

describe("tributary serve as a process", () => {
  // PORT is the one default not taken as is: 8080 may be in use on a shared machine (benchmarks).
  it("listens on HOST's default, keeps PGlite in ./data, migrates, answers /health, logs JSON", async () => {
    const port = await freePort();
    const server = serve({ PORT: String(port) });
    try {
      await server.ready;
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        status: "ok",
        engine: "pglite",
        schemaVersion: latestSchemaVersion,
      });
      expect(existsSync(join(server.cwd, "data", "PG_VERSION"))).toBe(true);
      const lines = server
        .output()
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(lines.find((l) => l.msg === "tributary ready")).toMatchObject({
        level: 30,
        engine: "pglite",
        schemaVersion: latestSchemaVersion,
        dataDir: join(server.cwd, "data"),
      });
      expect(lines.some((l) => String(l.msg).includes(`http://127.0.0.1:${port}`))).toBe(true);
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  }, 90_000);

  it("--pretty logs lines for people instead of JSON", async () => {
    const port = await freePort();
    const server = serve({ PORT: String(port), TRIBUTARY_DATA: "./pretty-data" }, ["--pretty"]);
    try {
      await server.ready;
      const ready = server
        .output()
        .split("\n")
        .find((line) => line.includes("tributary ready")) as string;
      expect(() => JSON.parse(ready)).toThrow();
      expect(ready).toMatch(/INFO.*tributary ready/);
      expect(existsSync(join(server.cwd, "pretty-data", "PG_VERSION"))).toBe(true);
    } finally {
      await stop(server.child);
    }
  }, 90_000);

  // PGlite takes no lock of its own: a second process on the folder would run a second Postgres on its files.
  it("refuses a second engine on the data folder of a running server, and takes the folder over once the server is killed", async () => {
    const port = await freePort();
    const server = serve({ PORT: String(port) });
    await server.ready;
    const pid = server.child.pid as number;
    // The server runs the CLI's tenant, user, token and ref commands for it; an import on the local engine
    // would open the folder itself, and is refused.
    expect(await cli(server.cwd, ["tenant", "create", "Riverside College"])).toEqual({
      code: 0,
      stdout: "1\n",
      stderr: "",
    });
    const issued = await cli(server.cwd, [
      "token",
      "create",
      "--tenant",
      "Riverside College",
      "--role",
      "admin",
    ]);
    expect(issued).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^\S{40,}\n$/),
      stderr: "token id 1 (revoke with: tributary token revoke 1)\n",
    });
    const tokens = await fetch(`http://127.0.0.1:${port}/api/v1/tokens`, {
      headers: { authorization: `Bearer ${issued.stdout.trim()}` },
    });
    expect(tokens.status).toBe(200);
    expect(await cli(server.cwd, ["ref", "add", "heat-status", "Scorching", "--tenant", "Nowhere"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "tributary: no tenant named 'Nowhere'\n",
    });
    // The socket is the folder owner's alone: whoever reaches it could read the folder's files anyway.
    expect(statSync(join(server.cwd, "data", "tributary-operator")).mode & 0o777).toBe(0o700);
    expect(statSync(join(server.cwd, "data", "tributary-operator", "cli.sock")).mode & 0o777).toBe(0o600);
    writeFileSync(join(server.cwd, "people.csv"), "email\nada@example.org\n");
    const refused = await cli(server.cwd, ["import", "people.csv", "--tenant", "Riverside College"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr.trim()).toMatch(
      new RegExp(
        `^tributary: the data folder ${join(server.cwd, "data").replaceAll("/", "\\/")} is in use by another Tributary process \\(pid ${pid}, '.*serve', since [0-9T:.Z-]+\\); the embedded engine \\(PGlite\\) allows one process at a time: stop that process first, send imports and exports to it with --server URL --token T, or use a PostgreSQL server \\(DATABASE_URL\\)$`,
      ),
    );
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    const killed = new Promise((resolve) => server.child.once("exit", resolve));
    server.child.kill("SIGKILL");
    await killed;
    expect(existsSync(join(server.cwd, "data", "tributary.lock"))).toBe(true);
    // The killed server's socket file is left too: a command finds no server behind it and opens the folder.
    expect(existsSync(join(server.cwd, "data", "tributary-operator", "cli.sock"))).toBe(true);
    // (The id is not 2: PostgreSQL logs sequence values ahead, and a crash skips those it had not handed out.)
    const created = await cli(server.cwd, ["tenant", "create", "Hillside School"]);
    expect(created).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\n$/) });
    // A command that ended cleanly leaves no lock behind.
    expect(existsSync(join(server.cwd, "data", "tributary.lock"))).toBe(false);
    expect((await cli(server.cwd, ["tenant", "list"])).stdout).toBe(
      `1\tRiverside College\n${created.stdout.trim()}\tHillside School\n`,
    );
  }, 120_000);

  it("a server that stops cleanly leaves no lock behind", async () => {
    const port = await freePort();
    const server = serve({ PORT: String(port) });
    await server.ready;
    expect(existsSync(join(server.cwd, "data", "tributary.lock"))).toBe(true);
    expect(await stop(server.child)).toBe(0);
    expect(existsSync(join(server.cwd, "data", "tributary.lock"))).toBe(false);
  }, 90_000);

  it("a bad setting, a database it cannot use or a port in use ends it with one line naming the cause", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "tributary-serve-"));
    scratch.push(cwd);
    const badPort = await cli(cwd, ["serve"], { PORT: "eighty" });
    expect(badPort).toEqual({
      code: 1,
      stdout: "",
      stderr: "tributary: PORT must be a non-negative number, got 'eighty'\n",
    });
    const closed = await freePort();
    const unreachable = await cli(cwd, ["serve"], {
      DATABASE_URL: `postgres://postgres:s3cret@127.0.0.1:${closed}/tributary`,
    });
    expect(unreachable).toEqual({
      code: 1,
      stdout: "",
      stderr: `tributary: cannot use PostgreSQL at 127.0.0.1:${closed}/tributary (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:${closed}\n`,
    });

    const port = await freePort();
    const server = serve({ PORT: String(port) });
    try {
      await server.ready;
      const taken = await cli(cwd, ["serve"], {
        PORT: String(port),
        TRIBUTARY_DATA: join(cwd, "other-data"),
      });
      expect(taken).toMatchObject({
        code: 1,
        stderr: `tributary: cannot listen on 127.0.0.1:${port} (HOST, PORT): the port is in use\n`,
      });
      // It let go of its data folder on the way out.
      expect(existsSync(join(cwd, "other-data", "tributary.lock"))).toBe(false);
    } finally {
      await stop(server.child);
    }
  }, 120_000);

  it("manages tokens through the running server while it holds the PGlite data folder", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "tributary-serve-"));
    scratch.push(cwd);
    expect((await cli(cwd, ["tenant", "create", "Riverside"])).code).toBe(0);
    const admin = (
      await cli(cwd, ["token", "create", "--tenant", "Riverside", "--role", "admin"])
    ).stdout.trim();
    const port = await freePort();
    const env = { PORT: String(port), TRIBUTARY_DATA: join(cwd, "data") };
    const server = serve(env);
    await server.ready;
    try {
      const url = `http://127.0.0.1:${port}`;
      const viaServer = ["--server", url, "--token", admin];
      const created = await cli(cwd, ["token", "create", "--role", "contacts:read", ...viaServer]);
      expect(created.code).toBe(0);
      const reader = created.stdout.trim();
      expect(reader).toMatch(/^\S{40,}$/);
      const id = /token id (\d+)/.exec(created.stderr)?.[1];
      const search = await fetch(`${url}/api/v1/contacts?q=x`, {
        headers: { authorization: `Bearer ${reader}` },
      });
      expect(search.status).toBe(200);
      expect((await cli(cwd, ["token", "list", ...viaServer])).stdout).toBe(
        `1\tapi\tadmin\tlive\n${id}\tapi\tcontacts:read\tlive\n`,
      );
      expect(await cli(cwd, ["token", "revoke", String(id), ...viaServer])).toMatchObject({
        code: 0,
        stdout: `${id}\n`,
      });
      const refused = await fetch(`${url}/api/v1/contacts?q=x`, {
        headers: { authorization: `Bearer ${reader}` },
      });
      expect(refused.status).toBe(401);
      expect(await cli(cwd, ["token", "revoke", String(id), ...viaServer])).toEqual({
        code: 1,
        stdout: "",
        stderr: `tributary: the server answered 404: No live token ${id}\n`,
      });
      // Reference data too, through the server.
      const added = await cli(cwd, ["ref", "add", "heat-status", "Scorching", ...viaServer]);
      expect(added).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\n$/) });
      const heatId = added.stdout.trim();
      expect(
        await cli(cwd, ["ref", "rename", "heat-status", heatId, "Very hot", ...viaServer]),
      ).toMatchObject({
        code: 0,
        stdout: `${heatId}\n`,
      });
      expect((await cli(cwd, ["ref", "deactivate", "heat-status", heatId, ...viaServer])).code).toBe(0);
      expect((await cli(cwd, ["ref", "list", "heat-status", ...viaServer])).stdout).toContain(
        `${heatId}\tVery hot\t\tinactive\n`,
      );
      const sub = await cli(cwd, [
        "ref",
        "add",
        "sub-channel",
        "Careers fair",
        "--parent",
        "external",
        ...viaServer,
      ]);
      expect(sub.code).toBe(0);
      expect(await cli(cwd, ["ref", "rename", "country", heatId, "Atlantis", ...viaServer])).toEqual({
        code: 1,
        stdout: "",
        stderr: `tributary: the server answered 404: No country ${heatId}\n`,
      });
      // A server that cannot be reached: one line, as for every command.
      const closed = await freePort();
      expect(
        await cli(cwd, ["token", "list", "--server", `http://127.0.0.1:${closed}`, "--token", admin]),
      ).toEqual({
        code: 1,
        stdout: "",
        stderr: `tributary: cannot reach the server: connect ECONNREFUSED 127.0.0.1:${closed}\n`,
      });
      // And users, whose password comes on standard input as on the engine.
      const user = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            "--import",
            tsx,
            mainTs,
            "user",
            "create",
            "--username",
            "ada@riverside.edu",
            "--role",
            "REGISUserRole",
            "--password-stdin",
            ...viaServer,
          ],
          { cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" } },
        );
        let stdout = "";
        child.stdout.on("data", (chunk) => {
          stdout += chunk;
        });
        child.once("exit", (code) => resolve({ code, stdout }));
        child.stdin.end("s3cret-passw0rd\n");
      });
      expect(user).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\n$/) });
      const signIn = await fetch(`${url}/auth/credentials`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ UserName: "ada@riverside.edu", Password: "s3cret-passw0rd" }),
      });
      expect(signIn.status).toBe(200);
      // Without --server the server holds the folder, and runs the command for the CLI.
      expect(await cli(cwd, ["token", "list", "--tenant", "Riverside"])).toEqual({
        code: 0,
        // The sign-in above made a session of the ServiceStack dialect.
        stdout: `1\tapi\tadmin\tlive\n${id}\tapi\tcontacts:read\trevoked\n3\tss-session\tREGISUserRole\tlive\n`,
        stderr: "",
      });
    } finally {
      await stop(server.child);
    }
  }, 120_000);
});
