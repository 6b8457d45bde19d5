import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openStore } from "../src/store/database.js";
import { createTenant } from "../src/store/tenants.js";
import { collectionsExpected, collectionsNdjson, peopleCsv } from "./helpers/import-files.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { openTestStore, type TestStore, testEngines } from "./helpers/test-store.js";

// Each test runs the CLI as processes (a TypeScript loader each, 1-3 s to start): a round trip runs several, and
// took 26 s of the default 30 on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

const run = promisify(execFile);
// The CLI run from another folder than the checkout's still loads TypeScript through tsx.
const tsxLoader = pathToFileURL(resolve("node_modules/tsx/dist/loader.mjs")).href;

/** A spawned CLI's exit code (null when a signal ended it), signal and output, once it has exited. */
function ended(child: ChildProcess) {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (part: string) => {
    stdout += part;
  });
  child.stderr?.setEncoding("utf8").on("data", (part: string) => {
    stderr += part;
  });
  return new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((done) =>
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr })),
  );
}

/** Resolves once the child's stderr has printed a line matching `pattern`; answers that line. */
function printed(child: ChildProcess, pattern: RegExp): Promise<string> {
  let text = "";
  return new Promise((found, failed) => {
    child.stderr?.on("data", (part: Buffer | string) => {
      text += part.toString();
      const line = text.split("\n").find((l) => pattern.test(l));
      if (line !== undefined) found(line);
    });
    child.on("close", () => failed(new Error(`the CLI ended before printing ${pattern}: ${text}`)));
  });
}

const cancelledLine =
  /^tributary: import (\d+) cancelled (after row [\d,]+; the rows up to it are in \(created \d+, updated 0, unchanged 0, failed 0\)|before its first row; nothing of the file is in)$/;

/**
 * Runs `tributary import ARGS` and interrupts it with Ctrl-C once it has written rows: answers the line that
 * announced its job, how it exited, its last line and the job id that line names.
 */
async function interruptedImport(args: string[], env: NodeJS.ProcessEnv, announced: RegExp) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "import", ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = ended(child);
  const announcement = await printed(child, announced);
  await printed(child, /^running .* [1-9][\d,]* rows /);
  child.kill("SIGINT");
  const { code, stdout, stderr } = await exited;
  const last = stderr.trim().split("\n").at(-1) as string;
  return { announcement, code, stdout, last, id: Number(cancelledLine.exec(last)?.[1]) };
}

describe.each(testEngines)("tributary import and export on the local %s engine", (engine) => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-import-cli-"));
  let env: NodeJS.ProcessEnv;
  let store: TestStore | undefined;
  const cli = (args: string[]) =>
    run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env, timeout: 120_000 });

  beforeAll(async () => {
    if (engine === "postgres") {
      store = await openTestStore("postgres", "import_cli");
      await createTenant(store.db, "Riverside");
      env = { ...process.env, DATABASE_URL: store.url };
    } else {
      env = { ...process.env, DATABASE_URL: "", TRIBUTARY_DATA: join(dir, "data") };
      await cli(["tenant", "create", "Riverside"]);
    }
  }, 60_000);
  afterAll(async () => {
    await store?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("imports a file with progress lines, a summary and an errors file; exports with formulas neutralised", async () => {
    const file = join(dir, "people.csv");
    const csv = peopleCsv(30)
      .replace("person3@example.org", "not-an-email")
      .replace("Given4", "=HYPERLINK(1)");
    writeFileSync(file, csv);
    const imported = await cli(["import", file, "--tenant", "Riverside", "--id-property", "external_id"]);
    expect(imported.stdout).toContain("completed");
    expect(imported.stdout).toContain("rows 30, created 29, updated 0, unchanged 0, failed 1");
    expect(imported.stdout).toContain(`errors file: ${file}.errors.csv`);
    expect(imported.stderr).toMatch(/completed 100\.0% 30 rows/);
    const errors = readFileSync(`${file}.errors.csv`, "utf8").trim().split("\r\n");
    expect(errors).toHaveLength(2);
    expect(errors[1]).toMatch(/^4,error,,CONTACT_EMAIL_INVALID,Email Address,/);
    expect(imported.stdout).toContain(`failed rows file (fix and import again): ${file}.failed-rows.csv`);
    const failedRows = readFileSync(`${file}.failed-rows.csv`, "utf8").trim().split("\r\n");
    expect(failedRows).toEqual([
      "tributary_row,tributary_error_code,tributary_error_field,tributary_error_message,External ID,First Name,last_name,Email Address,Company,DOB",
      "4,CONTACT_EMAIL_INVALID,Email Address,email 'not-an-email' is not an email address,P-3,Given3,Surname3,not-an-email,Acme,1990-01-02",
    ]);

    const again = await cli([
      "import",
      file,
      "--tenant",
      "Riverside",
      "--id-property",
      "external_id",
      "--dry-run",
    ]);
    expect(again.stdout).toContain("dry run");
    expect(imported.stdout).not.toContain("columns not imported");
    const extraColumn = join(dir, "extra-column.csv");
    writeFileSync(extraColumn, "External ID,Shoe Size\nP-1,42\n");
    const extra = await cli(["import", extraColumn, "--tenant", "Riverside", "--id-property", "external_id"]);
    expect(extra.stdout).toContain("columns not imported (no field of the native shape): Shoe Size\n");
    expect(again.stdout).toContain("created 0, updated 0, unchanged 29, failed 1");

    const exported = await cli(["export", "--tenant", "Riverside", "--format", "csv"]);
    const lines = exported.stdout.trim().split("\r\n");
    expect(lines).toHaveLength(30);
    expect(lines[0].startsWith("id,identifiers.external_id,")).toBe(true);
    expect(exported.stdout).toContain("'=HYPERLINK(1)");

    const ndjson = await cli([
      "export",
      "--tenant",
      "Riverside",
      "--format",
      "ndjson",
      "--query",
      "person7@example.org",
    ]);
    const found = ndjson.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(found).toMatchObject([{ email: "person7@example.org", identifiers: { external_id: "P-7" } }]);
  });

  it("an export imports back unchanged: a phone's + and a formula's = survive the round trip", async () => {
    const file = join(dir, "formulas.csv");
    writeFileSync(
      file,
      "External ID,Identifiers.Student No,First Name,Mobile,Company\nRT-1,S-77,=SUM(A1),+61 400 000 000,-Dash\nRT-2,,@handle,+1 555 0100,'quoted\n",
    );
    await cli(["import", file, "--tenant", "Riverside", "--id-property", "external_id"]);
    const exportFile = join(dir, "formulas-export.csv");
    await cli(["export", "--tenant", "Riverside", "--query", "RT-1", "--output", exportFile]);
    await cli(["export", "--tenant", "Riverside", "--query", "RT-2", "--output", `${exportFile}.2`]);
    const exported = readFileSync(exportFile, "utf8");
    expect(exported).toContain("'=SUM(A1)");
    expect(exported).toContain("'+61 400 000 000");
    // A tenant's own identifier scheme travels in the `identifiers` column, as JSON.
    expect(exported).toContain('"{""student_no"":""S-77""}"');
    writeFileSync(
      exportFile,
      exported + readFileSync(`${exportFile}.2`, "utf8").split("\r\n").slice(1).join("\r\n"),
    );
    const again = await cli(["import", exportFile, "--tenant", "Riverside", "--id-property", "external_id"]);
    expect(again.stdout).toContain("rows 2, created 0, updated 0, unchanged 2, failed 0");
    const ndjson = await cli(["export", "--tenant", "Riverside", "--format", "ndjson"]);
    const people = ndjson.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((p) => p.identifiers.external_id?.startsWith("RT-"));
    expect(people).toMatchObject([
      {
        givenName: "=SUM(A1)",
        phoneMobile: "+61 400 000 000",
        company: "-Dash",
        identifiers: { external_id: "RT-1", student_no: "S-77" },
      },
      { givenName: "@handle", phoneMobile: "+1 555 0100", company: "'quoted" },
    ]);
  });

  it("an export carries the collections: tags as a CSV column, all of them in NDJSON, which moves people whole", async () => {
    const file = join(dir, "collections.ndjson");
    writeFileSync(file, collectionsNdjson());
    const imported = await cli(["import", file, "--tenant", "Riverside", "--id-property", "external_id"]);
    expect(imported.stdout).toContain("rows 2, created 2, updated 0, unchanged 0, failed 0");

    const csv = await cli(["export", "--tenant", "Riverside", "--query", "CO-1"]);
    const [header, row] = csv.stdout.trim().split("\r\n");
    expect(row.split(",")[header.split(",").indexOf("tags")]).toBe("Alumni;Open Day 2027");
    const csvWithoutIds = await cli(["export", "--tenant", "Riverside", "--query", "CO-1", "--no-id"]);
    const [headerWithoutIds, rowWithoutIds] = csvWithoutIds.stdout.trim().split("\r\n");
    expect(headerWithoutIds).toBe(header.replace(/^id,/, ""));
    expect(header.split(",")).not.toContain("photoBase64");
    // Without ids, references go by name: another tenant's ids differ.
    const cell = (name: string) => rowWithoutIds.split(",")[headerWithoutIds.split(",").indexOf(name)];
    expect([cell("heatStatusId"), cell("correspondenceCountryId")]).toEqual(["Hot", "New Zealand"]);

    const ndjson = await cli(["export", "--tenant", "Riverside", "--format", "ndjson"]);
    const exported = ndjson.stdout
      .trim()
      .split("\n")
      .filter((l) => l.includes('"external_id":"CO-'));
    expect(exported.map((l) => JSON.parse(l))).toMatchObject(collectionsExpected);

    // Into another tenant, and out again: the same people with the same collections. A contact's own id names
    // that contact on import, whatever the idProperty: in another tenant it names no one, so the move leaves it out.
    await cli(["tenant", "create", "Elsewhere"]);
    const moved = join(dir, "collections-export.ndjson");
    const withIds = join(dir, "collections-export-ids.ndjson");
    writeFileSync(withIds, `${exported.join("\n")}\n`);
    const refused = await cli(["import", withIds, "--tenant", "Elsewhere", "--id-property", "external_id"]);
    expect(refused.stdout).toContain("rows 2, created 0, updated 0, unchanged 0, failed 2");
    expect(readFileSync(`${withIds}.errors.csv`, "utf8")).toMatch(
      /\r\n1,error,,CONTACT_ID_UNKNOWN,id,No contact has id \d+\r\n/,
    );
    const withoutIds = await cli(["export", "--tenant", "Riverside", "--format", "ndjson", "--no-id"]);
    const lines = withoutIds.stdout
      .trim()
      .split("\n")
      .filter((l) => l.includes('"external_id":"CO-'));
    expect(lines.map((l) => JSON.parse(l))).toEqual(
      exported.map((l) => {
        const { id, ...rest } = JSON.parse(l);
        return rest.heatStatusId
          ? { ...rest, heatStatusId: "Hot", correspondenceCountryId: "New Zealand" }
          : rest;
      }),
    );
    writeFileSync(moved, `${lines.join("\n")}\n`);
    const into = await cli(["import", moved, "--tenant", "Elsewhere", "--id-property", "external_id"]);
    expect(into.stdout).toContain("rows 2, created 2, updated 0, unchanged 0, failed 0");
    const again = await cli(["import", moved, "--tenant", "Elsewhere", "--id-property", "external_id"]);
    expect(again.stdout).toContain("rows 2, created 0, updated 0, unchanged 2, failed 0");
    // Both tenants' portable exports: the same people, references and collections.
    const out = await cli(["export", "--tenant", "Elsewhere", "--format", "ndjson", "--no-id"]);
    const comparable = (line: string) => {
      const { createdAt, modifiedAt, createdBy, modifiedBy, ...contact } = JSON.parse(line);
      for (const c of ["activities", "communications", "notes", "tasks"])
        contact[c] = contact[c].map(({ id, createdAt, ...item }: Record<string, unknown>) => item);
      contact.consents = contact.consents.map(({ recordedAt, ...item }: Record<string, unknown>) => item);
      return contact;
    };
    expect(out.stdout.trim().split("\n").map(comparable)).toEqual(lines.map(comparable));
  });

  it("--date-format reads day-first dates; the preview says which order it read", async () => {
    const file = join(dir, "day-first.csv");
    writeFileSync(
      file,
      "External ID,Email,DOB\nDD-1,dd1@example.org,31/12/1990\nDD-2,dd2@example.org,13/13/1990\n",
    );
    const args = ["import", file, "--tenant", "Riverside", "--id-property", "external_id"];
    const preview = await cli([...args, "--date-format", "DAY_MONTH_YEAR", "--preview"]);
    expect(preview.stdout).toContain(
      "preview: native shape, csv, matching on external_id, dates DAY_MONTH_YEAR\n",
    );
    const imported = await cli([...args, "--date-format", "DAY_MONTH_YEAR"]).catch((e) => e);
    expect(imported.stdout).toContain("rows 2, created 1, updated 0, unchanged 0, failed 1");
    expect(readFileSync(`${file}.errors.csv`, "utf8")).toContain(
      "2,error,,CONTACT_DATE_INVALID,DOB,DOB '13/13/1990' is not a date as DAY_MONTH_YEAR (DD/MM/YYYY)",
    );
    const exported = await cli(["export", "--tenant", "Riverside", "--format", "ndjson", "--query", "DD-1"]);
    expect(JSON.parse(exported.stdout)).toMatchObject({ dateOfBirth: "1990-12-31" });
    const refused = await cli([...args, "--date-format", "dmy"]).catch((e) => e);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "tributary: dateFormat 'dmy' is not one of YEAR_MONTH_DAY, DAY_MONTH_YEAR, MONTH_DAY_YEAR\n",
    );
  });

  it("--encoding reads a Windows-1252 file; an unknown encoding is refused by name", async () => {
    const file = join(dir, "excel.csv");
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from("External ID,First Name\r\nWIN-1,Zo"),
        Buffer.from([0xeb]),
        Buffer.from("\r\n"),
      ]),
    );
    const imported = await cli([
      "import",
      file,
      "--tenant",
      "Riverside",
      "--id-property",
      "external_id",
      "--encoding",
      "windows-1252",
    ]);
    expect(imported.stdout).toContain("rows 1, created 1, updated 0, unchanged 0, failed 0");
    const exported = await cli(["export", "--tenant", "Riverside", "--format", "ndjson", "--query", "WIN-1"]);
    expect(JSON.parse(exported.stdout)).toMatchObject({ givenName: "Zoë" });
    const bad = await cli(["import", file, "--tenant", "Riverside", "--encoding", "klingon"]).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("encoding 'klingon'");
  });

  it("--preview shows the mapping and the first rows' outcomes, and writes nothing", async () => {
    const file = join(dir, "preview.csv");
    writeFileSync(
      file,
      peopleCsv(60, { start: 700 })
        .replace("person702@example.org", "bad-address")
        .replace("Company", "Shoe Size"),
    );
    const preview = await cli([
      "import",
      file,
      "--tenant",
      "Riverside",
      "--id-property",
      "external_id",
      "--preview",
    ]);
    expect(preview.stdout).toContain("preview: native shape, csv, matching on external_id\n");
    expect(preview.stdout).toMatch(/\n {2}External ID +→ identifiers\.external_id\n/);
    expect(preview.stdout).toMatch(/\n {2}Shoe Size +\(not imported\)\n/);
    expect(preview.stdout).toContain("rows (the first 50):\n  row 1: created\n");
    expect(preview.stdout).toContain(
      "  row 3: error\n    CONTACT_EMAIL_INVALID Email Address: Email Address 'bad-address' is not an email address\n",
    );
    expect(preview.stdout).toContain(
      "would be: created 49, updated 0, unchanged 0, failed 1; nothing was written\n",
    );
    const exported = await cli(["export", "--tenant", "Riverside", "--query", "person701@example.org"]);
    expect(exported.stdout.trim().split("\r\n")).toHaveLength(1);
    expect(existsSync(`${file}.errors.csv`)).toBe(false);
  });

  it("refuses a missing file, a folder or a bad mapping file in one line", async () => {
    const fails = async (args: string[]) => {
      const failed = await cli(["import", ...args, "--tenant", "Riverside"]).catch((e) => e);
      expect(failed.code).toBe(1);
      expect(failed.stderr.trim().split("\n")).toHaveLength(1);
      return failed.stderr as string;
    };
    expect(await fails([join(dir, "absent.csv")])).toBe(`tributary: no file ${join(dir, "absent.csv")}\n`);
    expect(await fails([dir])).toBe(`tributary: ${dir} is not a file\n`);
    const file = join(dir, "mapped.csv");
    writeFileSync(file, peopleCsv(1));
    const mapping = join(dir, "mapping.json");
    writeFileSync(mapping, '{"External ID": ');
    expect(await fails([file, "--mapping", mapping])).toMatch(
      new RegExp(`^tributary: --mapping: ${mapping} is not JSON \\(.+\\)\n$`),
    );
    writeFileSync(mapping, '["External ID"]');
    expect(await fails([file, "--mapping", mapping])).toBe(
      `tributary: --mapping: ${mapping} must hold a JSON object of file column → field\n`,
    );
    writeFileSync(mapping, '{"External ID": 1}');
    expect(await fails([file, "--mapping", mapping])).toBe(
      "tributary: --mapping: the field for column 'External ID' must be a string\n",
    );
    // Where the results would go is checked before the import runs.
    const nowhere = join(dir, "no-such-folder", "errors.csv");
    expect(await fails([file, "--errors", nowhere])).toBe(
      `tributary: --errors: cannot write ${nowhere}: no folder ${join(dir, "no-such-folder")}\n`,
    );
    expect(await fails([file, "--failed-rows", dir])).toBe(`tributary: --failed-rows: ${dir} is a folder\n`);
  });

  it("an errors or failed-rows file the disk cannot take: the summary still, then one line naming it", async () => {
    if (!existsSync("/dev/full")) return;
    const file = join(dir, "full-disk.csv");
    writeFileSync(file, peopleCsv(5, { start: 700 }).replace("person702@example.org", "not-an-email"));
    for (const [option, kept] of [
      ["--errors", `failed rows file (fix and import again): ${file}.failed-rows.csv`],
      ["--failed-rows", `errors file: ${file}.errors.csv`],
    ]) {
      const failed = await cli([
        "import",
        file,
        "--tenant",
        "Riverside",
        "--id-property",
        "external_id",
        option,
        "/dev/full",
      ]).catch((e) => e);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain("rows 5, ");
      expect(failed.stdout).toContain("failed 1\n");
      expect(failed.stdout).toContain(kept);
      expect(failed.stdout).not.toContain("/dev/full");
      expect(failed.stderr.trim().split("\n").at(-1)).toBe(
        `tributary: ${option}: cannot write /dev/full: ENOSPC: no space left on device, write`,
      );
    }
  });

  it("an export to a file it cannot write ends with one line", async () => {
    const fails = async (output: string) => {
      const failed = await cli(["export", "--tenant", "Riverside", "--output", output]).catch((e) => e);
      expect(failed.code).toBe(1);
      expect(failed.stderr.trim().split("\n")).toHaveLength(1);
      return failed.stderr as string;
    };
    const missing = join(dir, "missing", "out.csv");
    expect(await fails(missing)).toBe(
      `tributary: --output: cannot write ${missing}: no folder ${join(dir, "missing")}\n`,
    );
    expect(await fails(dir)).toBe(`tributary: --output: ${dir} is a folder\n`);
    // A device that is always full: the write fails after the export started.
    if (existsSync("/dev/full"))
      expect(await fails("/dev/full")).toBe(
        "tributary: --output: cannot write /dev/full: ENOSPC: no space left on device, write\n",
      );
  });

  it("fails with a clear message for an unknown tenant or format", async () => {
    writeFileSync(join(dir, "x.txt"), "email\n");
    const bad = await cli(["import", join(dir, "x.txt"), "--tenant", "Riverside"]).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--format");
    const file = join(dir, "p.csv");
    writeFileSync(file, peopleCsv(1));
    const noTenant = await cli(["import", file, "--tenant", "Nobody"]).catch((e) => e);
    expect(noTenant.stderr).toContain("no tenant named 'Nobody'");
  });

  it("writes nothing, neither a header nor a file, when an export is refused", async () => {
    const output = join(dir, "refused.csv");
    const noTenant = await cli(["export", "--tenant", "Nobody", "--output", output]).catch((e) => e);
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toContain("no tenant named 'Nobody'");
    expect(existsSync(output)).toBe(false);
    const toStdout = await cli(["export", "--tenant", "Nobody"]).catch((e) => e);
    expect(toStdout.code).toBe(1);
    expect(toStdout.stdout).toBe("");
    const noToken = await cli(["export", "--server", "http://127.0.0.1:9"]).catch((e) => e);
    expect(noToken.stderr).toContain("--server needs --token");
    expect(noToken.stdout).toBe("");
  });

  it("refuses options that contradict each other, and a --format it does not know, in one line", async () => {
    const file = join(dir, "options.csv");
    writeFileSync(file, peopleCsv(1));
    const refusal = async (args: string[]) => {
      const failed = await cli(args).catch((e) => e);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toBe("");
      return failed.stderr as string;
    };
    expect(await refusal(["import", file, "--tenant", "Riverside", "--dry-run", "--preview"])).toBe(
      "tributary: --dry-run and --preview do not go together: --preview shows the first rows, --dry-run checks them all\n",
    );
    expect(await refusal(["import", file, "--tenant", "Riverside", "--format", "xml"])).toBe(
      "tributary: --format 'xml' is not one of csv, ndjson, json\n",
    );
    expect(await refusal(["export", "--tenant", "Riverside", "--format", "xml"])).toBe(
      "tributary: --format 'xml' is not one of csv, ndjson\n",
    );
    for (const command of [["import", file], ["export"]])
      expect(
        await refusal([
          ...command,
          "--tenant",
          "Riverside",
          "--server",
          "http://127.0.0.1:9",
          "--token",
          "t",
        ]),
      ).toBe(
        "tributary: --tenant is for the local engine; with --server the token names the tenant: give one or the other\n",
      );
  });

  it("a run with no failed row removes the result files an earlier run left, and no other file", async () => {
    const file = join(dir, "stale.csv");
    writeFileSync(file, peopleCsv(3, { start: 600 }).replace("person601@example.org", "not-an-email"));
    const args = ["import", file, "--tenant", "Riverside", "--id-property", "external_id"];
    await cli(args);
    expect(existsSync(`${file}.errors.csv`)).toBe(true);
    expect(existsSync(`${file}.failed-rows.csv`)).toBe(true);
    writeFileSync(file, peopleCsv(3, { start: 600 }));
    const fixed = await cli(args);
    expect(fixed.stdout).toContain("failed 0\n");
    expect(fixed.stdout).toContain(`removed an earlier run's result file: ${file}.errors.csv\n`);
    expect(fixed.stdout).toContain(`removed an earlier run's result file: ${file}.failed-rows.csv\n`);
    expect(existsSync(`${file}.errors.csv`)).toBe(false);
    expect(existsSync(`${file}.failed-rows.csv`)).toBe(false);
    // A file at --errors that the CLI did not write stays.
    const mine = join(dir, "my-notes.csv");
    writeFileSync(mine, "row,my own notes\r\n");
    const again = await cli([...args, "--errors", mine]);
    expect(again.stdout).not.toContain("removed");
    expect(readFileSync(mine, "utf8")).toBe("row,my own notes\r\n");
  });

  it("FILE /dev/stdin: the result files go to the current folder, named after it, not into /dev", async () => {
    const file = join(dir, "from-stdin.csv");
    writeFileSync(file, peopleCsv(3, { start: 650 }).replace("person651@example.org", "not-an-email"));
    const cwd = mkdtempSync(join(dir, "cwd-"));
    const input = openSync(file, "r");
    const child = spawn(
      process.execPath,
      [
        "--import",
        tsxLoader,
        resolve("src/cli/main.ts"),
        "import",
        "/dev/stdin",
        "--format",
        "csv",
        "--tenant",
        "Riverside",
        "--id-property",
        "external_id",
      ],
      { env, cwd, stdio: [input, "pipe", "pipe"] },
    );
    closeSync(input);
    const { code, stdout } = await ended(child);
    expect(code).toBe(0);
    expect(stdout).toContain("rows 3, created 2, updated 0, unchanged 0, failed 1\n");
    expect(stdout).toContain("errors file: stdin.errors.csv\n");
    expect(stdout).toContain("failed rows file (fix and import again): stdin.failed-rows.csv\n");
    expect(readFileSync(join(cwd, "stdin.errors.csv"), "utf8")).toContain("CONTACT_EMAIL_INVALID");
    expect(existsSync("/dev/stdin.errors.csv")).toBe(false);
  });

  it("an export whose reader goes away (export | head -1) stops quietly, with exit code 0", async () => {
    // More than a pipe's 64 KiB, so the export is still writing when its reader goes.
    await cli(["tenant", "create", "Pipes"]);
    const file = join(dir, "pipes.csv");
    writeFileSync(file, peopleCsv(3000, { start: 900_000 }));
    await cli(["import", file, "--tenant", "Pipes", "--id-property", "external_id"]);
    for (const format of ["csv", "ndjson"]) {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "export", "--tenant", "Pipes", "--format", format],
        { env, stdio: ["ignore", "pipe", "pipe"] },
      );
      const exited = ended(child);
      child.stdout.once("data", () => child.stdout.destroy());
      const { code, stderr } = await exited;
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    }
  });

  it("Ctrl-C cancels the local import's job, says where it stopped, releases the engine and exits 130", async () => {
    const file = join(dir, "interrupted.csv");
    writeFileSync(file, peopleCsv(200_000, { start: 1_000_000 }));
    const {
      announcement: queued,
      code,
      stdout,
      last,
      id,
    } = await interruptedImport(
      [file, "--tenant", "Riverside", "--id-property", "external_id"],
      env,
      /^import \d+ queued on /,
    );
    expect(code).toBe(130);
    expect(stdout).toBe("");
    expect(last).toMatch(cancelledLine);
    const url = store?.url ? new URL(store.url) : undefined;
    expect(queued).toBe(
      `import ${id} queued on ${url ? `PostgreSQL at ${url.host}${url.pathname} (DATABASE_URL)` : `the PGlite data folder ${join(dir, "data")}`}`,
    );
    // The job is cancelled, not `running` for the next server to resume; the data folder is free again.
    const engineStore = store ?? (await openStore({ dataDir: join(dir, "data") }));
    try {
      const { rows } = await sql<{ state: string }>`select state from import_jobs where id = ${id}`.execute(
        engineStore.db,
      );
      expect(rows).toEqual([{ state: "cancelled" }]);
    } finally {
      if (!store) await engineStore.close();
    }
  });

  it("exports a header alone when no contact matches", async () => {
    const empty = await cli(["export", "--tenant", "Riverside", "--query", "nobody-matches-this"]);
    expect(empty.stdout.trim().split("\r\n")).toHaveLength(1);
    expect(empty.stdout.startsWith("id,identifiers.external_id,")).toBe(true);
  });
});

describe.each(testEngines)("tributary import and export against a server on %s", (engine) => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-import-cli-server-"));
  let t: TestApp;
  let base: string;
  let token: string;
  const cli = (args: string[]) =>
    run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      env: { ...process.env, DATABASE_URL: "", TRIBUTARY_DATA: join(dir, "unused") },
      timeout: 120_000,
    });

  beforeAll(async () => {
    t = await openTestApp(engine, `import_cli_server_${engine}`);
    token = await t.token(["contacts:write", "contacts:read"]);
    base = await t.app.listen({ host: "127.0.0.1", port: 0 });
  }, 60_000);
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("uploads, follows the job, writes the errors and failed-rows files, exports what went in", async () => {
    const file = join(dir, "people.csv");
    writeFileSync(file, peopleCsv(40).replace("person5@example.org", "bad-address"));
    const imported = await cli([
      "import",
      file,
      "--server",
      base,
      "--token",
      token,
      "--id-property",
      "external_id",
    ]);
    expect(imported.stdout).toContain("rows 40, created 39, updated 0, unchanged 0, failed 1");
    expect(readFileSync(`${file}.errors.csv`, "utf8")).toMatch(
      /\r\n6,error,,CONTACT_EMAIL_INVALID,Email Address,/,
    );
    const failedRows = readFileSync(`${file}.failed-rows.csv`, "utf8").trim().split("\r\n");
    expect(failedRows).toHaveLength(2);
    expect(failedRows[1]).toMatch(
      /^6,CONTACT_EMAIL_INVALID,Email Address,.*,P-5,Given5,Surname5,bad-address,Acme,1990-01-02$/,
    );

    const exported = await cli(["export", "--server", base, "--token", token, "--format", "ndjson"]);
    const people = exported.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(people).toHaveLength(39);
    expect(people[0]).toMatchObject({ identifiers: { external_id: "P-0" }, email: "person0@example.org" });

    const refused = await cli(["export", "--server", base, "--token", "not-a-token"]).catch((e) => e);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("401");
  });

  it("an export from a server carries the collections too: tags as a CSV column, all of them in NDJSON", async () => {
    const file = join(dir, "collections.ndjson");
    writeFileSync(file, collectionsNdjson());
    const server = ["--server", base, "--token", token];
    await cli(["import", file, ...server, "--id-property", "external_id"]);
    const ndjson = await cli(["export", ...server, "--format", "ndjson"]);
    const people = ndjson.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((p) => p.identifiers.external_id?.startsWith("CO-"));
    expect(people).toMatchObject(collectionsExpected);
    const csv = await cli(["export", ...server, "--query", "CO-1", "--no-id"]);
    const [header, row] = csv.stdout.trim().split("\r\n");
    expect(header.startsWith("identifiers.external_id,")).toBe(true);
    expect(row.split(",")[header.split(",").indexOf("tags")]).toBe("Alumni;Open Day 2027");
  });

  it("an errors file the disk cannot take, from a server: the summary still, then one line naming it", async () => {
    if (!existsSync("/dev/full")) return;
    const file = join(dir, "full-disk.csv");
    writeFileSync(file, peopleCsv(5, { start: 800 }).replace("person802@example.org", "not-an-email"));
    const args = ["import", file, "--server", base, "--token", token, "--id-property", "external_id"];
    const failed = await cli([...args, "--errors", "/dev/full"]).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("rows 5, created 4, updated 0, unchanged 0, failed 1\n");
    expect(failed.stdout).toContain(`failed rows file (fix and import again): ${file}.failed-rows.csv`);
    expect(failed.stdout).not.toContain("errors file");
    expect(failed.stderr.trim().split("\n").at(-1)).toBe(
      "tributary: --errors: cannot write /dev/full: ENOSPC: no space left on device, write",
    );
    expect(readFileSync(`${file}.failed-rows.csv`, "utf8")).toContain("not-an-email");
  });

  it("prints the job's id once the upload is accepted; Ctrl-C cancels the job on the server and exits 130", async () => {
    const file = join(dir, "interrupted.csv");
    writeFileSync(file, peopleCsv(200_000, { start: 1_000_000 }));
    const {
      announcement: accepted,
      code,
      stdout,
      last,
      id,
    } = await interruptedImport(
      [file, "--server", base, "--token", token],
      { ...process.env, DATABASE_URL: "", TRIBUTARY_DATA: join(dir, "unused") },
      /^import \d+ (queued|running) on /,
    );
    expect(accepted).toMatch(new RegExp(`^import \\d+ (queued|running) on ${base}$`));
    expect(code).toBe(130);
    expect(stdout).toBe("");
    expect(last).toMatch(cancelledLine);
    expect(accepted.startsWith(`import ${id} `)).toBe(true);
    const job = await t.app.inject({
      url: `/api/v1/imports/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(job.json().state).toBe("cancelled");
  });

  it("--preview asks the server for the first rows only, the server reads past the rest, a refusal is one line", async () => {
    const file = join(dir, "preview.csv");
    // More rows than a preview reads: the CLI stops sending once the server has answered.
    writeFileSync(file, peopleCsv(20_000, { start: 50_000 }));
    const preview = await cli(["import", file, "--server", base, "--token", token, "--preview"]);
    expect(preview.stdout).toContain("preview: native shape, csv, matching on email\n");
    expect(preview.stdout).toContain(
      "would be: created 50, updated 0, unchanged 0, failed 0; nothing was written\n",
    );
    const search = await t.app.inject({
      url: "/api/v1/contacts?q=person50000@example.org",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(search.json().data).toEqual([]);

    for (const args of [
      ["--server", base, "--token", "not-a-token"],
      ["--server", base, "--token", "not-a-token", "--preview"],
      ["--server", "http://127.0.0.1:1", "--token", token],
    ]) {
      const failed = await cli(["import", file, ...args]).catch((e) => e);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(
        /^tributary: (the server refused the (upload|preview) \(401\)|cannot reach the server)/,
      );
      expect(failed.stderr.trim().split("\n")).toHaveLength(1);
    }
    // A client that sends the whole file still can: the server reads past what the preview did not need,
    // on success and on a refusal alike, instead of leaving the connection stuck with a full window.
    const big = Buffer.from(peopleCsv(300_000));
    for (const query of ["", "?format=json"]) {
      const status = await new Promise<number>((resolve, reject) => {
        let answered = 0;
        let sent = false;
        const request = http.request(`${base}/api/v1/imports/preview${query}`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
        });
        request.on("response", (response) => {
          answered = response.statusCode ?? 0;
          response.resume();
          response.on("end", () => sent && resolve(answered));
        });
        request.on("finish", () => {
          sent = true;
          if (answered) resolve(answered);
        });
        request.on("error", reject);
        request.end(big);
      });
      expect(status).toBe(query ? 400 : 200);
    }

    const unreachable = await cli(["export", "--server", "http://127.0.0.1:1", "--token", token]).catch(
      (e) => e,
    );
    expect(unreachable.stderr.trim()).toMatch(/^tributary: cannot reach the server: /);
  });
});

describe("tributary import and export against a URL that is not Tributary's API", () => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-import-cli-proxy-"));
  const file = join(dir, "people.csv");
  let proxy: http.Server;
  let base: string;
  const cli = (args: string[]) =>
    run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      env: { ...process.env, DATABASE_URL: "", TRIBUTARY_DATA: join(dir, "unused") },
      timeout: 60_000,
    });

  beforeAll(async () => {
    writeFileSync(file, peopleCsv(5));
    writeFileSync(join(dir, "accepted.csv"), peopleCsv(5));
    // A proxy whose upstream is down answers its own HTML page; this one accepts the upload first, so the
    // page comes while the CLI follows the job.
    proxy = http.createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        const url = new URL(request.url ?? "/", "http://proxy");
        if (url.pathname === "/api/v1/imports" && url.searchParams.get("fileName") === "accepted.csv") {
          response.writeHead(202, { "content-type": "application/json" });
          response.end(
            JSON.stringify({
              id: 1,
              state: "queued",
              percent: 0,
              rowsRead: 0,
              rowsPerSecond: 0,
              etaSeconds: null,
            }),
          );
          return;
        }
        response.writeHead(502, "Bad Gateway", { "content-type": "text/html; charset=utf-8" });
        response.end("<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>");
      });
    });
    await new Promise<void>((listening) => proxy.listen(0, "127.0.0.1", listening));
    base = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((closed) => proxy.close(closed));
    rmSync(dir, { recursive: true, force: true });
  });

  it("says in one line which URL answered what, with exit code 1, for an import, an export and a token list", async () => {
    const refused = async (args: string[]) => {
      const failed = await cli([...args, "--server", base, "--token", "t"]).catch((e) => e);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toBe("");
      return failed.stderr as string;
    };
    const answered = (path: string) =>
      `tributary: ${base}${path} answered 502 Bad Gateway with text/html, not Tributary's API\n`;
    expect(await refused(["import", file])).toBe(answered("/api/v1/imports"));
    expect(await refused(["import", file, "--preview"])).toBe(answered("/api/v1/imports/preview"));
    expect(await refused(["export"])).toBe(answered("/api/v1/contacts"));
    expect(await refused(["export", "--no-id"])).toBe(answered("/api/v1/reference/salutation"));
    expect(await refused(["token", "list"])).toBe(answered("/api/v1/tokens"));
    // The upload accepted, the page comes while the CLI follows the job.
    const polled = await refused(["import", join(dir, "accepted.csv")]);
    expect(polled.trim().split("\n").at(-1)).toBe(answered("/api/v1/imports/1").trim());
  });
});
