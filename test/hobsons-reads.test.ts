import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
