import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "../src/store/api-tokens.js";
import { migrateToLatest, openStore, type Store } from "../src/store/database.js";
import { createTenant } from "../src/store/tenants.js";
import { peopleCsv } from "./helpers/import-files.js";
import { openTestStore, type TestStore, testEngines } from "./helpers/test-store.js";

// A real server process killed with SIGKILL mid-import, started again on the same database: the job must
// resume after its last committed chunk, with no row written twice and none skipped. On PostgreSQL a new
// process picks the job up from shared state (pg-boss and the checkpoint row); on PGlite the new process
// reopens the data folder the killed one was writing, and the job resumes from what PostgreSQL's own
// crash recovery kept. PGlite's folder belongs to one process at a time, so its checks run after the
// last server has stopped.
const rows = 200_000;

describe.each(testEngines)("bulk import resumes after SIGKILL on %s", (engine) => {
  let store: TestStore | undefined;
  let dataDir: string | undefined;
  let token: string;
  let tenantId: number;
  let server: ChildProcess | undefined;
  const port = 18_700 + Math.floor(Math.random() * 200);
  const base = `http://127.0.0.1:${port}`;

  async function startServer() {
    server = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
      env: {
        ...process.env,
        DATABASE_URL: store?.url ?? "",
        TRIBUTARY_DATA: dataDir ?? "",
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`${base}/health`)).ok) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("server did not start");
  }

  async function kill() {
    const child = server as ChildProcess;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    server = undefined;
  }

  const job = async (id: number) =>
    (await (
      await fetch(`${base}/api/v1/imports/${id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      state: string;
      rowsRead: number;
      created: number;
      updated: number;
      failed: number;
    };

  /** The store the checks read: PostgreSQL's test database, or the PGlite folder once no server holds it. */
  async function openChecks(): Promise<Store> {
    if (store) return store;
    const local = await openStore({ dataDir });
    await migrateToLatest(local);
    return local;
  }

  beforeAll(async () => {
    if (engine === "postgres") store = await openTestStore("postgres", "import_resume");
    else dataDir = mkdtempSync(join(tmpdir(), "tributary-resume-"));
    const setup = await openChecks();
    tenantId = (await createTenant(setup.db, "Resume")).id;
    token = (await issueToken(setup.db, { tenantId, roles: ["contacts:write"] })).token;
    if (!store) await setup.close();
    await startServer();
  }, 60_000);
  afterAll(async () => {
    if (server) await kill();
    await store?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("kills the server at random points of a 200,000-row import; the final table is exact", async () => {
    // Kill points: random row counts spread over the import, plus one right after the upload.
    const seed = Date.now();
    const points = [0, 0.2, 0.45, 0.7].map((share, i) =>
      Math.floor(rows * (share + ((seed >> i) % 100) / 1000)),
    );
    console.info(`kill points (seed ${seed}): ${points.join(", ")}`);
    const upload = await fetch(`${base}/api/v1/imports?idProperty=external_id`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      body: peopleCsv(rows),
    });
    expect(upload.status).toBe(202);
    const { id } = (await upload.json()) as { id: number };
    let kills = 0;
    for (const point of points) {
      for (;;) {
        const state = await job(id);
        if (state.state === "completed" || state.rowsRead >= point) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      if ((await job(id)).state === "completed") break;
      await kill();
      kills++;
      await startServer();
    }
    let final = await job(id);
    for (let i = 0; final.state !== "completed" && i < 3000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      final = await job(id);
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(final).toMatchObject({ state: "completed", rowsRead: rows, created: rows, updated: 0, failed: 0 });

    if (!store) {
      // PGlite: the folder is the server's until it stops.
      const child = server as ChildProcess;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      server = undefined;
    }
    const checks = await openChecks();
    const count = async (text: string) =>
      Number(((await checks.executeSql(text)).rows[0] as { n: number }).n);
    expect(await count(`select count(*) as n from contacts where tenant_id = ${tenantId}`)).toBe(rows);
    // Every contact is exactly the person its row describes.
    expect(
      await count(`select count(*) as n from contacts c join contact_identifiers i on i.tenant_id = c.tenant_id and i.contact_id = c.id
          where c.tenant_id = ${tenantId} and c.email = 'person' || substr(i.value, 3) || '@example.org'
            and c.given_name = 'Given' || substr(i.value, 3) and c.surname = 'Surname' || substr(i.value, 3)`),
    ).toBe(rows);
    expect(
      await count(`select count(distinct value) as n from contact_identifiers where tenant_id = ${tenantId}`),
    ).toBe(rows);
    // The outcomes cover rows 1 … 200,000 once each, in chunks that neither overlap nor leave gaps.
    const chunks = (
      await checks.executeSql(
        `select first_row, length(statuses) as n from import_result_chunks where tenant_id = ${tenantId} and job_id = ${id} order by first_row`,
      )
    ).rows as Array<{ first_row: number; n: number }>;
    let next = 1;
    for (const chunk of chunks) {
      expect(Number(chunk.first_row)).toBe(next);
      next += Number(chunk.n);
    }
    expect(next - 1).toBe(rows);
    expect(
      await count(
        `select count(*) as n from import_result_chunks where tenant_id = ${tenantId} and statuses ~ '[^c]'`,
      ),
    ).toBe(0);
    if (!store) await checks.close();
  }, 600_000);
});
