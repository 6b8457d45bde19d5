import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import { expect } from "vitest";
import { createImportJob, type NewImportJob } from "../../src/store/imports/import-jobs.js";
import type { Database } from "../../src/store/schema.js";

/** A job still `uploading` (a native CSV upload by email unless told otherwise), as a POST leaves it. */
export function uploadingJob(db: Kysely<Database>, tenantId: number, overrides: Partial<NewImportJob> = {}) {
  return createImportJob(db, {
    tenantId,
    shape: "native",
    format: "csv",
    encoding: "utf-8",
    dateFormat: "YEAR_MONTH_DAY",
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

/** Two people (`CO-1`, `CO-2`) as NDJSON, with something in each of a contact's collections between them. */
export function collectionsNdjson(): string {
  const people = [
    {
      identifiers: { external_id: "CO-1" },
      givenName: "Ngaio",
      surname: "Marsh",
      email: "ngaio@example.org",
      // References by name (the import reads names and codes), so each tenant stores its own ids.
      heatStatusId: "Hot",
      correspondenceCountryId: "nz",
      tags: [{ tag: "Open Day 2027", taggedAt: "2026-03-01" }, { tag: "Alumni" }],
      consents: [{ type: "email", granted: true }],
      notes: [{ content: "Asked about night classes", noteType: "Phone" }],
      activities: [{ kind: "Enquiry", courses: [{ preferenceNumber: 1, course: "Bachelor of Arts" }] }],
    },
    {
      identifiers: { external_id: "CO-2", crm_number: "C-77" },
      givenName: "Katherine",
      surname: "Mansfield",
      communications: [
        { incoming: true, category: "Email", subject: "Fees", occurredAt: "2026-02-03T04:05:06Z" },
      ],
      tasks: [{ taskType: "Call", description: "Call back", actionDate: "2026-04-01" }],
      consents: [{ type: "sms", granted: false }],
    },
  ];
  return `${people.map((p) => JSON.stringify(p)).join("\n")}\n`;
}

/** What an NDJSON export of `collectionsNdjson`'s people holds, in id order. */
export const collectionsExpected = [
  {
    identifiers: { external_id: "CO-1" },
    heatStatusId: expect.any(Number),
    correspondenceCountryId: expect.any(Number),
    tags: [
      { tag: "Alumni", taggedAt: null },
      { tag: "Open Day 2027", taggedAt: "2026-03-01" },
    ],
    consents: [{ type: "email", granted: true }],
    notes: [{ content: "Asked about night classes", noteType: "Phone" }],
    activities: [{ kind: "Enquiry", courses: [{ preferenceNumber: 1, course: "Bachelor of Arts" }] }],
    communications: [],
    tasks: [],
  },
  {
    identifiers: { external_id: "CO-2", crm_number: "C-77" },
    tags: [],
    consents: [{ type: "sms", granted: false }],
    communications: [{ incoming: true, category: "Email", subject: "Fees" }],
    tasks: [{ taskType: "Call", description: "Call back", actionDate: "2026-04-01", done: false }],
  },
];
