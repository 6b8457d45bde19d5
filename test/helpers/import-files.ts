import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import { createImportJob, type NewImportJob } from "../../src/store/imports/import-jobs.js";
import type { Database } from "../../src/store/schema.js";

/** A job still `uploading` (a native CSV upload by email unless told otherwise), as a POST leaves it. */
export function uploadingJob(db: Kysely<Database>, tenantId: number, overrides: Partial<NewImportJob> = {}) {
  return createImportJob(db, {
    tenantId,
    shape: "native",
    format: "csv",
    encoding: "utf-8",
    idProperty: "email",
    mapping: null,
    dryRun: false,
    fileName: null,
    actor: "test",
    ...overrides,
  });
}

/** A CSV of `count` people with the given header spellings; row i is person `start + i`. */
export function peopleCsv(
  count: number,
  options: { start?: number; company?: string; header?: string[] } = {},
) {
  const start = options.start ?? 0;
  const header = options.header ?? [
    "External ID",
    "First Name",
    "last_name",
    "Email Address",
    "Company",
    "DOB",
  ];
  const lines = [header.join(",")];
  for (let i = start; i < start + count; i++) {
    lines.push(
      [
        `P-${i}`,
        `Given${i}`,
        `Surname${i}`,
        `person${i}@example.org`,
        options.company ?? "Acme",
        "1990-01-02",
      ].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Polls an import job until it has ended; fails after `timeoutMs`. */
export async function waitForImport(
  app: FastifyInstance,
  token: string,
  id: number,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const started = Date.now();
  for (;;) {
    const res = await app.inject({
      url: `/api/v1/imports/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    const job = res.json() as Record<string, unknown>;
    if (["completed", "failed", "cancelled"].includes(job.state as string)) return job;
    if (Date.now() - started > timeoutMs)
      throw new Error(`import ${id} still ${job.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An import's error lines, read back as the NDJSON results file (`only=errors`). */
export async function importErrors(
  app: FastifyInstance,
  token: string,
  id: number,
): Promise<Array<Record<string, unknown>>> {
  const res = await app.inject({
    url: `/api/v1/imports/${id}/results?only=errors&format=ndjson`,
    headers: { authorization: `Bearer ${token}` },
  });
  return res.body
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}
