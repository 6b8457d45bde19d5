import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../src/config.js";
import { buildApp } from "../src/http/app.js";
import { openStore } from "../src/store/database.js";
import { createTenant } from "../src/store/tenants.js";
import { type HobsonsRefs, hobsonsContact, hobsonsRefs } from "./helpers/hobsons-fixtures.js";
import { openTestApp, type TestApp } from "./helpers/test-app.js";
import { testEngines } from "./helpers/test-store.js";

describe.each(testEngines)("Hobsons reads and reference data on %s", (engine) => {
  let t: TestApp;
  let token: string;
  let refs: HobsonsRefs;
  const get = (url: string, auth = token) =>
    t.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${auth}` } });
  const insert = async (contacts: Array<Record<string, unknown>>): Promise<number[]> => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/bulk/contacts",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      payload: JSON.stringify(contacts),
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    t = await openTestApp(engine, "hobsons_reads");
    token = await t.token(["HobsonsApiUser"]);
    refs = await hobsonsRefs(t);
  });
  afterAll(() => t.close());

  it("lists contacts in Data, with Total only when asked, paged by offset and limit", async () => {
    const surname = `Paged-${engine}`;
    const ids = await insert(Array.from({ length: 5 }, () => hobsonsContact(refs, { Surname: surname })));
    const page = await get(`/api/contacts?surname=${surname}&offset=1&limit=2`);
    expect(page.statusCode).toBe(200);
    expect(page.json().Data.map((d: { Id: number }) => d.Id)).toEqual(ids.slice(1, 3));
    expect(page.json()).not.toHaveProperty("Total");
    const counted = await get(`/api/contacts?Surname=${surname.toUpperCase()}&limit=2&returnTotal=true`);
    expect(counted.json().Total).toBe(5);
    expect(counted.json().Data).toHaveLength(2);
  });

  it("filters by StudentId, EmailAddress and modified-since", async () => {
    const [a, b] = [hobsonsContact(refs), hobsonsContact(refs)];
    const [idA, idB] = await insert([a, b]);
    const byStudent = await get(`/api/contacts?studentId=${encodeURIComponent(String(a.StudentId))}`);
    expect(byStudent.json().Data.map((d: { Id: number }) => d.Id)).toEqual([idA]);
    const byEmail = await get(
      `/api/contacts?emailAddress=${encodeURIComponent(String(b.EmailAddress).toUpperCase())}`,
    );
    expect(byEmail.json().Data.map((d: { Id: number }) => d.Id)).toEqual([idB]);
    const future = await get("/api/contacts?modifiedSince=2999-01-01T00:00:00%2B10:00&returnTotal=true");
    expect(future.json()).toEqual({ Data: [], Total: 0 });
    const past = await get(
      `/api/contacts?modifiedSince=2000-01-01T00:00:00.0000000Z&studentId=${encodeURIComponent(String(b.StudentId))}`,
    );
    expect(past.json().Data.map((d: { Id: number }) => d.Id)).toEqual([idB]);
  });

  it.each([
    { query: "limit=0", key: "limit", message: "The field limit must be between 1 and 500." },
    { query: "limit=abc", key: "limit", message: "The value 'abc' is not valid for Int32." },
    { query: "offset=-1", key: "offset", message: "The value '-1' is not valid for Int32." },
    {
      query: "returnTotal=maybe",
      key: "returnTotal",
      message: "The value 'maybe' is not valid for Boolean.",
    },
    {
      query: "modifiedSince=yesterday",
      key: "modifiedSince",
      message: "The value 'yesterday' is not valid for DateTime; send ISO 8601.",
    },
  ])("refuses $query with a ModelState entry", async ({ query, key, message }) => {
    const res = await get(`/api/contacts?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ Message: "The request is invalid.", ModelState: { [key]: [message] } });
  });

  it("answers 404 for a contact of another tenant as for a missing one, 400 for a non-integer id", async () => {
    const other = await createTenant(t.store.db, `Other ${engine}`);
    const otherToken = await t.token(["HobsonsApiUser"], other.id);
    const [id] = await insert([hobsonsContact(refs)]);
    expect((await get(`/api/contacts/${id}`)).statusCode).toBe(200);
    const foreign = await get(`/api/contacts/${id}`, otherToken);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual({ Message: `No contact with Id ${id} was found.` });
    expect((await get("/api/contacts/999999999")).statusCode).toBe(404);
    const bad = await get("/api/contacts/abc");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().ModelState).toEqual({ id: ["The value 'abc' is not valid for Int32."] });
  });

  it("GET api/contacts/{id} fills IntakeId and IntakeName for a contact given an intake elsewhere", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/processes/upsertcontact",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      payload: {
        Name: "Ida",
        Surname: `Intake-${engine}`,
        EmailAddress: `ida.${engine}@example.edu`,
        Intake: "semester 1",
      },
    });
    expect(res.statusCode).toBe(200);
    const intake = ((await get("/api/intakes")).json() as Array<{ Id: number; Name: string }>).find(
      (i) => i.Name === "Semester 1",
    );
    expect((await get(`/api/contacts/${res.json()}`)).json()).toMatchObject({
      IntakeId: intake?.Id,
      IntakeName: "Semester 1",
      HeatStatusChangeReason: null,
      ContactStatusChangeReason: null,
    });
  });

  it.each([
    ["/api/salutations", ["Id", "Name", "Inactive"]],
    ["/api/countries", ["Id", "Name", "Code", "Inactive"]],
    ["/api/heatstatuses", ["Id", "Name", "Inactive"]],
    ["/api/channels", ["Id", "Name", "Inactive"]],
    ["/api/subchannels", ["Id", "Name", "ChannelId", "ChannelName", "Inactive"]],
    ["/api/contactstatuses", ["Id", "Name", "Inactive"]],
    ["/api/intakes", ["Id", "Name", "Inactive"]],
  ])("%s answers a non-empty array of exactly %j", async (url, members) => {
    const items = (await get(url)).json() as Array<Record<string, unknown>>;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(Object.keys(item)).toEqual(members);
  });

  it.each([
    ["/api/salutations", { Name: "Dr" }],
    ["/api/countries", { Name: "Australia", Code: "AU" }],
    ["/api/heatstatuses", { Name: "Hot" }],
    ["/api/HeatStatuses", { Name: "Warm" }],
    ["/api/channels", { Name: "External" }],
    ["/api/subchannels", { Name: "Web Form", ChannelName: "External" }],
    ["/api/contactstatuses", { Name: "Enquirer" }],
    ["/api/intakes", { Name: "Semester 1" }],
  ])("lists %s as [{Id, Name, …}]", async (url, expected) => {
    const res = await get(url);
    expect(res.statusCode).toBe(200);
    const items = res.json() as Array<Record<string, unknown>>;
    expect(items).toContainEqual(
      expect.objectContaining({ Id: expect.any(Number), Inactive: false, ...expected }),
    );
  });

  it("follows admin changes made through the native API: add, rename, deactivate", async () => {
    const admin = await t.token(["admin"]);
    const add = await t.app.inject({
      method: "POST",
      url: "/api/v1/reference/heat-status",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      payload: { name: "Scorching" },
    });
    expect(add.statusCode).toBe(201);
    const id = add.json().id as number;
    const names = async () => (await get("/api/heatstatuses")).json() as Array<{ Id: number; Name: string }>;
    expect(await names()).toContainEqual(expect.objectContaining({ Id: id, Name: "Scorching" }));
    const patch = (body: unknown) =>
      t.app.inject({
        method: "PATCH",
        url: `/api/v1/reference/heat-status/${id}`,
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        payload: JSON.stringify(body),
      });
    expect((await patch({ name: "Very hot" })).statusCode).toBe(200);
    expect(await names()).toContainEqual(expect.objectContaining({ Id: id, Name: "Very hot" }));
    const [before] = await insert([hobsonsContact(refs, { HeatStatusId: id })]);
    expect((await patch({ active: false })).statusCode).toBe(200);
    expect((await names()).some((n) => n.Id === id)).toBe(false);
    expect((await get("/api/heatstatuses?includeInactive=true")).json()).toContainEqual(
      expect.objectContaining({ Id: id, Inactive: true }),
    );
    // Existing contacts keep it and read its name; new writes are refused.
    expect((await get(`/api/contacts/${before}`)).json().HeatStatusName).toBe("Very hot");
    const refused = await t.app.inject({
      method: "POST",
      url: "/api/bulk/contacts",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      payload: JSON.stringify([hobsonsContact(refs, { HeatStatusId: id })]),
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().ModelState).toEqual({
      "contacts[0].HeatStatusId": [
        `The HeatStatusId ${id} is deactivated and cannot be used for new writes.`,
      ],
    });
  });

  it("needs the Hobsons role for reads too", async () => {
    const res = await get("/api/salutations", await t.token(["contacts:read"]));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ Message: "Authorization has been denied for this request." });
    expect((await t.app.inject({ url: "/api/contacts" })).statusCode).toBe(401);
  });
});

describe("Hobsons reference data administered through the CLI", () => {
  const run = promisify(execFile);
  const dataDir = mkdtempSync(join(tmpdir(), "tributary-hobsons-cli-"));
  const env = { ...process.env, TRIBUTARY_DATA: dataDir, DATABASE_URL: "" };
  const tenantName = "Hobsons CLI College";
  const cli = async (...args: string[]) =>
    (
      await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env, timeout: 60_000 })
    ).stdout.trim();
  /** Runs `use` against a server on the CLI's data folder (PGlite allows one process at a time). */
  const withServer = async <T>(use: (app: Awaited<ReturnType<typeof buildApp>>) => Promise<T>) => {
    const store = await openStore({ dataDir });
    const app = await buildApp({ store, config: readConfig({}) });
    try {
      await app.ready();
      return await use(app);
    } finally {
      await app.close();
      await store.close();
    }
  };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("ref add, rename and deactivate show in the Hobsons lists and writes at once", async () => {
    await cli("tenant", "create", tenantName);
    const token = await cli("token", "create", "--tenant", tenantName, "--role", "HobsonsApiUser");
    const heat = Number(await cli("ref", "add", "heat-status", "Blazing", "--tenant", tenantName));
    const agent = Number(await cli("ref", "add", "sub-channel", "Agent Referral", "--tenant", tenantName));
    await cli("ref", "rename", "heat-status", String(heat), "Very blazing", "--tenant", tenantName);
    const duplicate = await cli("ref", "add", "heat-status", "Hot", "--tenant", tenantName).catch((e) => e);
    expect(duplicate.code).toBe(1);

    const auth = { authorization: `Bearer ${token}` };
    const contact = (app: Awaited<ReturnType<typeof buildApp>>) =>
      withRefs(app, auth).then((refs) =>
        app.inject({
          method: "POST",
          url: "/api/bulk/contacts",
          headers: { ...auth, "content-type": "application/json" },
          payload: [hobsonsContact(refs, { HeatStatusId: heat, SubChannelId: agent })],
        }),
      );
    const id = await withServer(async (app) => {
      const heats = (await app.inject({ url: "/api/heatstatuses", headers: auth })).json();
      expect(heats).toContainEqual({ Id: heat, Name: "Very blazing", Inactive: false });
      const subs = (await app.inject({ url: "/api/subchannels", headers: auth })).json();
      expect(subs).toContainEqual(
        expect.objectContaining({ Id: agent, Name: "Agent Referral", ChannelName: "External" }),
      );
      const res = await contact(app);
      expect(res.statusCode).toBe(200);
      return res.json()[0] as number;
    });

    await cli("ref", "deactivate", "heat-status", String(heat), "--tenant", tenantName);
    await withServer(async (app) => {
      const heats = (await app.inject({ url: "/api/heatstatuses", headers: auth })).json() as Array<{
        Id: number;
      }>;
      expect(heats.some((h) => h.Id === heat)).toBe(false);
      const refused = await contact(app);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toEqual({
        Message: "The request is invalid.",
        ModelState: {
          "contacts[0].HeatStatusId": [
            `The HeatStatusId ${heat} is deactivated and cannot be used for new writes.`,
          ],
        },
      });
      const existing = (await app.inject({ url: `/api/contacts/${id}`, headers: auth })).json();
      expect(existing).toMatchObject({ HeatStatusId: heat, HeatStatusName: "Very blazing" });
    });
  }, 120_000);
});

/** The default reference ids of a tenant, read through the Hobsons lists themselves. */
async function withRefs(
  app: Awaited<ReturnType<typeof buildApp>>,
  headers: Record<string, string>,
): Promise<HobsonsRefs> {
  const idOf = async (url: string, name: string) =>
    ((await app.inject({ url, headers })).json() as Array<{ Id: number; Name: string }>).find(
      (i) => i.Name === name,
    )?.Id as number;
  return {
    salutation: await idOf("/api/salutations", "Dr"),
    country: await idOf("/api/countries", "Australia"),
    otherCountry: await idOf("/api/countries", "New Zealand"),
    heatStatus: await idOf("/api/heatstatuses", "Hot"),
    externalSubChannel: await idOf("/api/subchannels", "Web Form"),
    internalSubChannel: await idOf("/api/subchannels", "Walk-in"),
    contactStatus: await idOf("/api/contactstatuses", "Enquirer"),
  };
}
