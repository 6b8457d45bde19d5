import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import type { Command } from "commander";
import { readConfig } from "../config.js";
import { contactCollections } from "../core/contact.js";
import { contactFields, knownIdentifierSchemes, referenceKinds } from "../core/contact-fields.js";
import { fromCanonical } from "../dialects/native/mapping.js";
import { csvLine } from "../formats/csv/write-csv.js";
import { ndjsonLine } from "../formats/ndjson/write-ndjson.js";
import { whyUnwritable } from "./file-checks.js";
import { jsonAnswer, notTributaryApi } from "./server-answer.js";

interface ExportCliOptions {
  format: "csv" | "ndjson";
  query?: string;
  server?: string;
  token?: string;
  tenant?: string;
  output?: string;
  /** false with --no-id */
  id: boolean;
}

const pageSize = 500;

// Photos are not exported: a 5 MiB photo is 7 MB of base64, more than a spreadsheet cell or an import's row
// takes; `GET /api/v1/contacts/{id}/photo` serves each, and an import leaves a photo it is not sent alone.
const exportedFields = contactFields.filter((f) => f.name !== "photoBase64");
const referenceFields = contactFields.filter((f) => f.type === "reference");

/** Per kind, reference id → name: a portable file names its references, as another tenant's ids differ. */
type ReferenceNames = Map<string, Map<number, string>>;

// Identifiers become one column per known scheme, and tags one `;`-separated column, so the file imports back
// with automatic mapping. The other collections have no CSV form an import reads: NDJSON carries them.
const csvColumns = [
  "id",
  ...knownIdentifierSchemes.map((s) => `identifiers.${s}`),
  // A tenant's own schemes (`student_no`), which no fixed column names: a JSON object, as the import reads it.
  "identifiers",
  ...exportedFields.map((f) => f.name),
  "tags",
  "createdAt",
  "modifiedAt",
];

const knownSchemes = new Set<string>(knownIdentifierSchemes);

function csvRecord(contact: Record<string, unknown>, columns: readonly string[]): unknown[] {
  const identifiers = (contact.identifiers ?? {}) as Record<string, string>;
  return columns.map((c) => {
    if (c.startsWith("identifiers.")) return identifiers[c.slice(12)];
    if (c === "identifiers") {
      const others = Object.entries(identifiers).filter(([scheme]) => !knownSchemes.has(scheme));
      return others.length > 0 ? JSON.stringify(Object.fromEntries(others)) : undefined;
    }
    if (c === "tags") {
      const names = ((contact.tags ?? []) as Array<{ tag: string }>).map((t) => t.tag);
      // `;` joins the names; a name that holds one goes whole in a JSON array, which the import reads too.
      return names.some((name) => name.includes(";")) ? JSON.stringify(names) : names.join(";");
    }
    return contact[c];
  });
}

async function write(out: Writable, text: string) {
  // A stream that failed (its error is kept and thrown by the caller) has closed already: no 'close' to wait for.
  if (out.destroyed || out.write(text) || out.destroyed) return;
  // 'close' as well as 'drain': a stream that failed never drains.
  await new Promise<void>((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("close", done);
      resolve();
    };
    out.once("drain", done);
    out.once("close", done);
  });
}

/** `tributary export`: streams contacts as CSV (formula cells neutralised) or NDJSON, a page at a time. */
export function registerExportCommand(program: Command, fail: (message: string) => never) {
  program
    .command("export")
    .description("stream contacts out as CSV or NDJSON, from a server or the local engine")
    .option("--format <format>", "csv or ndjson", "csv")
    .option("--query <q>", "only contacts matching this search (name, email or identifier)")
    .option("--server <url>", "a Tributary server to export from")
    .option("--token <token>", "API token for --server (contacts:read)")
    .option("--tenant <name>", "tenant, for the local engine")
    .option("--output <file>", "write here instead of standard output")
    .option(
      "--no-id",
      "leave out each contact's own id: for a file to import into another tenant or instance, where it names no one",
    )
    .action(async (options: ExportCliOptions) => {
      try {
        await exportContacts(options, fail);
      } catch (error) {
        // The reader of standard output went away (`export | head -1`): the export stops there, quietly and
        // with exit code 0, as Node CLIs do on EPIPE (Node ignores SIGPIPE, so the 141 of a C tool killed by
        // it is not what a Node CLI answers); the reader has all it wanted.
        if (!(error instanceof ReaderGone)) throw error;
      }
    });
}

/** Thrown when standard output's reader has gone: nothing more can be written, and nothing is wrong. */
class ReaderGone extends Error {}

/** The export itself: opens the engine or calls the server, and writes every page of contacts. */
async function exportContacts(options: ExportCliOptions, fail: (message: string) => never) {
  if (options.format !== "csv" && options.format !== "ndjson")
    fail(`--format '${options.format}' is not one of csv, ndjson`);
  if (options.server && options.tenant)
    fail("--tenant is for the local engine; with --server the token names the tenant: give one or the other");
  const columns = options.id ? csvColumns : csvColumns.filter((c) => c !== "id");
  if (options.server && !options.token) fail("--server needs --token");
  if (!options.server && !options.tenant)
    fail("the local engine needs --tenant NAME (or use --server and --token)");
  const unwritable = options.output ? whyUnwritable(options.output) : null;
  if (unwritable) fail(`--output: ${unwritable}`);
  // Opened at the first contact (or the end of an empty export), once the tenant or the server's first
  // page is known good: an export refused with an error leaves no header on stdout and no file behind.
  let out: Writable | undefined;
  // A write that fails later (a full disk) ends the export with its reason, not an unhandled error.
  let writeFailure: NodeJS.ErrnoException | undefined;
  const failedWrite = () => {
    // `errored` too: a stream's 'error' event comes a tick after the write that failed.
    writeFailure ??= (out?.errored as NodeJS.ErrnoException | null) ?? undefined;
    if (!writeFailure) return;
    if (!options.output && writeFailure.code === "EPIPE") throw new ReaderGone();
    fail(
      `${options.output ? `--output: cannot write ${options.output}` : "cannot write to standard output"}: ${writeFailure.message}`,
    );
  };
  const opened = async (): Promise<Writable> => {
    failedWrite();
    if (out) return out;
    out = options.output ? createWriteStream(options.output) : process.stdout;
    out.on("error", (error: NodeJS.ErrnoException) => {
      writeFailure ??= error;
    });
    if (options.format === "csv") await write(out, csvLine(columns));
    return out;
  };
  // Without ids the file is for another tenant or instance: its references go by name (an import reads a
  // reference's name or code), since the ids are this tenant's own.
  let names: ReferenceNames | undefined;
  const emit = async ({ id, photoBase64: _photo, ...rest }: Record<string, unknown>) => {
    // An import reads a contact's own id as naming that contact, whatever its idProperty.
    const contact = options.id ? { id, ...rest } : rest;
    if (names)
      for (const field of referenceFields) {
        const value = contact[field.name];
        const name = typeof value === "number" ? names.get(field.reference as string)?.get(value) : undefined;
        if (name !== undefined) contact[field.name] = name;
      }
    await write(
      await opened(),
      options.format === "csv" ? csvLine(csvRecord(contact, columns)) : ndjsonLine(contact),
    );
  };
  if (options.server) {
    const base = options.server.replace(/\/$/, "");
    if (!options.id) {
      names = new Map();
      for (const kind of referenceKinds) {
        const res = await fetch(`${base}/api/v1/reference/${kind}?includeInactive=true`, {
          headers: { authorization: `Bearer ${options.token}` },
        });
        const answer = await jsonAnswer<{
          data: Array<{ id: number; name: string }>;
          error?: { message: string };
        }>(res);
        if (!res.ok) fail(`the server answered ${res.status}: ${answer.error?.message}`);
        if (!Array.isArray(answer.data)) throw notTributaryApi(res.url, res.status, res.statusText, "JSON");
        names.set(kind, new Map(answer.data.map((item) => [item.id, item.name])));
      }
    }
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({
        limit: String(pageSize),
        include: options.format === "csv" ? "tags" : "all",
      });
      if (options.query) query.set("q", options.query);
      if (cursor) query.set("cursor", cursor);
      const res = await fetch(`${base}/api/v1/contacts?${query}`, {
        headers: { authorization: `Bearer ${options.token}` },
      });
      const page = await jsonAnswer<{
        data: Record<string, unknown>[];
        nextCursor: string | null;
        error?: { message: string };
      }>(res);
      if (!res.ok) fail(`the server answered ${res.status}: ${page.error?.message}`);
      // JSON of another service: its page would be read as no contact, or fail on a missing list.
      if (!Array.isArray(page.data)) throw notTributaryApi(res.url, res.status, res.statusText, "JSON");
      for (const contact of page.data) await emit(contact);
      cursor = page.nextCursor;
    } while (cursor);
  } else {
    // The engine loads only for an export from it (main.ts has the figures), not for one from a server.
    const [
      { openEngine },
      { tenantIdOf },
      { getContacts, getContactsChildren, searchContactIds },
      { listReferenceItems },
    ] = await Promise.all([
      import("./open-engine.js"),
      import("./operator-commands.js"),
      import("../store/contacts/read-contacts.js"),
      import("../store/reference-items.js"),
    ]);
    const store = await openEngine(readConfig());
    try {
      const tenantId = await tenantIdOf(store, options.tenant as string);
      if (!options.id) {
        names = new Map();
        for (const kind of referenceKinds) {
          const items = await listReferenceItems(store.db, tenantId, kind, { includeInactive: true });
          names.set(kind, new Map(items.map((item) => [Number(item.id), item.name])));
        }
      }
      let afterId: number | undefined;
      for (;;) {
        const ids = await searchContactIds(store.db, tenantId, {
          q: options.query,
          limit: pageSize,
          afterId,
        });
        if (ids.length === 0) break;
        const collections = options.format === "csv" ? (["tags"] as const) : contactCollections;
        const children = await getContactsChildren(store.db, tenantId, ids, collections);
        for (const view of await getContacts(store.db, tenantId, ids))
          await emit(fromCanonical(view, children.get(view.id)));
        afterId = ids[ids.length - 1];
      }
    } finally {
      await store.close();
    }
  }
  const written = await opened();
  if (options.output) {
    written.end();
    await finished(written).catch(() => {});
    failedWrite();
  }
}
