import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../../test/helpers/test-store.js";
import type { ContactInput } from "../../core/contact.js";
import { createTenant, type Tenant } from "../tenants.js";
import { getContact, getContactChildren, getStatusHistory } from "./read-contacts.js";
import { upsertContacts } from "./upsert-contacts.js";

let seq = 0;
const contact = (
  overrides: Partial<ContactInput["fields"]> = {},
  extra: Partial<ContactInput> = {},
): ContactInput => {
  seq += 1;
  return {
    identifiers: { external_id: `X-${seq}` },
    fields: { givenName: "Ada", surname: `Lovelace${seq}`, email: `ada${seq}@example.org`, ...overrides },
    ...extra,
  };
};

describe.each(testEngines)("upsertContacts on %s", (engine) => {
  let store: TestStore;
  let tenant: Tenant;
  const opts = () => ({
    tenantId: tenant.id,
    idProperty: { scheme: "external_id" },
    mode: "allOrNone" as const,
    actor: "test",
  });

  beforeAll(async () => {
    store = await openTestStore(engine, "upsert");
    tenant = await createTenant(store.db, "College");
  });
  afterAll(() => store.dispose());

  it("creates, then reports unchanged, then updated", async () => {
    const input = contact({ dateOfBirth: "1990-02-03T10:00:00+11:00" });
    const first = await upsertContacts(store.db, [structuredClone(input)], opts());
    expect(first.results[0]).toMatchObject({ status: "created", errors: [] });
    const id = first.results[0].id as number;
    const again = await upsertContacts(store.db, [structuredClone(input)], opts());
    expect(again.results[0]).toMatchObject({ status: "unchanged", id });
    const changed = structuredClone(input);
    changed.fields.surname = "Byron";
    const third = await upsertContacts(store.db, [changed], opts());
    expect(third.results[0]).toMatchObject({ status: "updated", id });
    const stored = await getContact(store.db, tenant.id, id);
    expect(stored?.fields).toMatchObject({ surname: "Byron", givenName: "Ada", dateOfBirth: "1990-02-03" });
    expect(stored?.identifiers).toEqual({ external_id: input.identifiers?.external_id });
  });

  it("reads back every field type exactly: the same values again are unchanged", async () => {
    const input = contact({
      sourceModifiedAt: "2026-11-30T08:15:30.250Z",
      dateOfBirth: "1990-02-03",
      isPermanentResident: true,
      spouseIsMainContact: false,
      middleName: 'quote " comma , brace { tab \t',
    });
    const first = await upsertContacts(store.db, [structuredClone(input)], opts());
    expect(first.results[0]).toMatchObject({ status: "created" });
    const again = await upsertContacts(store.db, [structuredClone(input)], opts());
    expect(again.results[0]).toMatchObject({ status: "unchanged", id: first.results[0].id });
  });

  it("reads back every field type exactly in batches big enough for the compiled stored-row reader", async () => {
    // 40 stored rows of one layout: past the repeats after which the reader is compiled (record-layouts.ts).
    const inputs = Array.from({ length: 40 }, (_, i) =>
      contact({
        sourceModifiedAt: `2026-11-30T08:15:${String(i).padStart(2, "0")}.250Z`,
        dateOfBirth: "1990-02-03",
        isPermanentResident: i % 2 === 0,
        middleName: i % 3 === 0 ? null : `M${i}`,
      }),
    );
    const first = await upsertContacts(store.db, structuredClone(inputs), opts());
    expect(first.results.every((r) => r.status === "created")).toBe(true);
    for (let round = 0; round < 2; round++) {
      const again = await upsertContacts(store.db, structuredClone(inputs), opts());
      expect(again.results.map((r) => r.status)).toEqual(Array(40).fill("unchanged"));
    }
    const changed = structuredClone(inputs);
    changed[7].fields.middleName = "Changed";
    changed[8].fields.isPermanentResident = !changed[8].fields.isPermanentResident;
    const third = await upsertContacts(store.db, changed, opts());
    expect(third.results.filter((r) => r.status === "updated").map((r) => r.index)).toEqual([7, 8]);
    const stored = await getContact(store.db, tenant.id, third.results[7].id as number);
    expect(stored?.fields).toMatchObject({
      middleName: "Changed",
      sourceModifiedAt: "2026-11-30T08:15:07.250Z",
    });
  });

  it("a batch of 250 new contacts (COPY on PostgreSQL) keeps every character and type exactly", async () => {
    const tricky = [
      "tab\there",
      "line\nbreak",
      "cr\rhere",
      "back\\slash",
      "\\N",
      "\\.",
      "",
      "ünï €𝄞",
      "a\\tb",
    ];
    const inputs = Array.from({ length: 250 }, (_, i) =>
      contact({
        middleName: tricky[i % tricky.length],
        company: i % 5 === 0 ? null : `Co ${i}`,
        dateOfBirth: i % 4 === 0 ? null : "1990-02-03",
        isPermanentResident: i % 2 === 0,
        sourceModifiedAt: `2026-11-30T08:15:${String(i % 60).padStart(2, "0")}.250Z`,
      }),
    );
    const first = await upsertContacts(store.db, structuredClone(inputs), opts());
    expect(first.results.map((r) => r.status)).toEqual(Array(250).fill("created"));
    const again = await upsertContacts(store.db, structuredClone(inputs), opts());
    expect(again.results.map((r) => r.status)).toEqual(Array(250).fill("unchanged"));
    for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 8, 10]) {
      const stored = await getContact(store.db, tenant.id, first.results[i].id as number);
      expect(stored?.fields).toMatchObject({
        middleName: inputs[i].fields.middleName,
        company: inputs[i].fields.company,
        dateOfBirth: inputs[i].fields.dateOfBirth,
        isPermanentResident: inputs[i].fields.isPermanentResident,
      });
      expect(stored?.identifiers).toEqual(inputs[i].identifiers);
    }
  });

  it("a contact holds one value per identifier scheme: a new one replaces it, and the old one is free again", async () => {
    const byEmail = { ...opts(), idProperty: "email" as const };
    const input = contact();
    const id = (await upsertContacts(store.db, [structuredClone(input)], opts())).results[0].id as number;
    const oldValue = input.identifiers?.external_id as string;
    const email = input.fields.email as string;
    const replaced = await upsertContacts(
      store.db,
      [{ fields: { email }, identifiers: { external_id: "NEW-1" } }],
      byEmail,
    );
    expect(replaced.results[0]).toMatchObject({ status: "updated", id });
    expect((await getContact(store.db, tenant.id, id))?.identifiers).toEqual({ external_id: "NEW-1" });
    // The old value now names nobody: another person can take it.
    const other = await upsertContacts(
      store.db,
      [contact({}, { identifiers: { external_id: oldValue } })],
      opts(),
    );
    expect(other.results[0]).toMatchObject({ status: "created" });

    // Within one batch the last input's value is the one kept, even a return to the stored one.
    const twice = await upsertContacts(
      store.db,
      [
        { fields: { email }, identifiers: { external_id: "NEW-2" } },
        { fields: { email }, identifiers: { external_id: "NEW-3" } },
      ],
      byEmail,
    );
    expect(twice.results.map((r) => r.status)).toEqual(["updated", "updated"]);
    expect((await getContact(store.db, tenant.id, id))?.identifiers).toEqual({ external_id: "NEW-3" });
    const back = await upsertContacts(
      store.db,
      [
        { fields: { email }, identifiers: { external_id: "NEW-4" } },
        { fields: { email }, identifiers: { external_id: "NEW-3" } },
      ],
      byEmail,
    );
    expect(back.results.every((r) => r.status !== "error")).toBe(true);
    expect((await getContact(store.db, tenant.id, id))?.identifiers).toEqual({ external_id: "NEW-3" });
    // NEW-2 and NEW-4 were given up within their batches: free too.
    const free = await upsertContacts(
      store.db,
      [
        contact({}, { identifiers: { external_id: "NEW-2" } }),
        contact({}, { identifiers: { external_id: "NEW-4" } }),
      ],
      opts(),
    );
    expect(free.results.map((r) => r.status)).toEqual(["created", "created"]);
  });

  it("applies two inputs for one contact in order", async () => {
    const a = contact({ surname: "First" });
    const b = { ...structuredClone(a), fields: { ...a.fields, surname: "Second" } };
    const out = await upsertContacts(store.db, [a, b], opts());
    expect(out.results.map((r) => r.status)).toEqual(["created", "updated"]);
    expect(out.results[0].id).toBe(out.results[1].id);
    expect((await getContact(store.db, tenant.id, out.results[0].id as number))?.fields.surname).toBe(
      "Second",
    );
  });

  it("leaves the first input as it was sent when a later input of the batch changes the contact it created", async () => {
    const a = contact({ surname: "First", company: "Acme" });
    const sent = structuredClone(a);
    const b = { ...structuredClone(a), fields: { ...a.fields, surname: "Second" } };
    const c = { identifiers: { ...a.identifiers }, fields: { company: "Initech" } };
    const out = await upsertContacts(store.db, [a, b, c], opts());
    expect(out.results.map((r) => r.status)).toEqual(["created", "updated", "updated"]);
    expect(a).toEqual(sent);
    const stored = await getContact(store.db, tenant.id, out.results[0].id as number);
    expect(stored?.fields).toMatchObject({ surname: "Second", company: "Initech" });
  });

  it("allOrNone: one bad input writes nothing and every error is listed", async () => {
    const good = contact();
    const bad = contact({ givenName: "x".repeat(121), email: "not-an-email" });
    const out = await upsertContacts(store.db, [good, bad], opts());
    expect(out.committed).toBe(false);
    expect(out.results[1].errors.map((e) => e.code).sort()).toEqual([
      "CONTACT_EMAIL_INVALID",
      "CONTACT_FIELD_TOO_LONG",
    ]);
    expect(out.results[1].errors[0]).toMatchObject({ index: 1 });
    const retry = await upsertContacts(store.db, [good], opts());
    expect(retry.results[0].status).toBe("created");
  });

  it("partial: good inputs go in, bad ones are reported", async () => {
    const out = await upsertContacts(store.db, [contact(), contact({ heatStatusId: 99_999_999 })], {
      ...opts(),
      mode: "partial",
    });
    expect(out.committed).toBe(true);
    expect(out.results[0].status).toBe("created");
    expect(out.results[1]).toMatchObject({
      status: "error",
      errors: [{ code: "CONTACT_REFERENCE_UNKNOWN", field: "heatStatusId", index: 1 }],
    });
  });

  it("refuses an identifier that belongs to another contact", async () => {
    const a = contact();
    await upsertContacts(store.db, [a], opts());
    const b = contact({}, { identifiers: { external_id: "B-only", crm_number: "1" } });
    await upsertContacts(store.db, [b], opts());
    const thief = {
      ...contact(),
      identifiers: { external_id: a.identifiers?.external_id as string, crm_number: "1" },
    };
    const out = await upsertContacts(store.db, [thief], opts());
    expect(out.results[0].errors.map((e) => e.code)).toEqual(["CONTACT_IDENTIFIER_TAKEN"]);
  });

  it("matches by email and by PI", async () => {
    const base = contact({ dateOfBirth: "1980-01-01" });
    const created = await upsertContacts(store.db, [base], opts());
    const byEmail = await upsertContacts(
      store.db,
      [{ fields: { email: ` ${String(base.fields.email).toUpperCase()} `, phoneMobile: "0400" } }],
      { ...opts(), idProperty: "email" },
    );
    expect(byEmail.results[0]).toMatchObject({ status: "updated", id: created.results[0].id });
    const byPi = await upsertContacts(
      store.db,
      [
        {
          fields: {
            email: base.fields.email,
            givenName: "ADA ",
            surname: String(base.fields.surname).toLowerCase(),
            dateOfBirth: "1980-01-01",
            phoneHome: "1",
          },
        },
      ],
      { ...opts(), idProperty: "pi" },
    );
    expect(byPi.results[0]).toMatchObject({ status: "updated", id: created.results[0].id });
  });

  it("writes status history with default and given reasons, and children once", async () => {
    const [cold, hot] = await store.db
      .selectFrom("referenceItems")
      .select(["id", "name"])
      .where("tenantId", "=", tenant.id)
      .where("kind", "=", "heat_status")
      .orderBy("sortOrder")
      .execute();
    const input = contact(
      { heatStatusId: Number(cold.id) },
      { tags: [{ tag: "Open Day" }], notes: [{ content: "Called" }] },
    );
    const out = await upsertContacts(store.db, [structuredClone(input)], opts());
    const id = out.results[0].id as number;
    const replay = await upsertContacts(store.db, [structuredClone(input)], opts());
    expect(replay.results[0].status).toBe("unchanged");
    await upsertContacts(
      store.db,
      [{ ...structuredClone(input), fields: { heatStatusId: Number(hot.id) }, heatStatusReason: "Attended" }],
      opts(),
    );
    const history = await getStatusHistory(store.db, tenant.id, id);
    expect(history.map((h) => [h.kind, h.statusName, h.reason])).toEqual([
      ["heat_status", cold.name, "Contact created"],
      ["heat_status", hot.name, "Attended"],
    ]);
    const children = await getContactChildren(store.db, tenant.id, id);
    expect(children.tags.map((t) => t.tag)).toEqual(["Open Day"]);
    expect(children.notes.map((n) => n.content)).toEqual(["Called"]);
  });

  it("never shows one tenant's contacts to another", async () => {
    const other = await createTenant(store.db, "Clinic");
    const out = await upsertContacts(store.db, [contact()], opts());
    expect(await getContact(store.db, other.id, out.results[0].id as number)).toBeUndefined();
    const sameKey = await upsertContacts(store.db, [contact({}, { identifiers: { external_id: "X-1" } })], {
      ...opts(),
      tenantId: other.id,
    });
    expect(sameKey.results[0].status).toBe("created");
  });

  it("an input naming its contact's id is that contact whatever the idProperty; an unknown id is an error", async () => {
    const created = await upsertContacts(store.db, [contact()], opts());
    const id = created.results[0].id as number;
    const out = await upsertContacts(
      store.db,
      [
        { id, fields: { surname: "ById" } },
        { id: 987_654_321, fields: { surname: "Nobody" } },
      ],
      {
        ...opts(),
        mode: "partial",
        requireMatchKey: false,
      },
    );
    expect(out.results[0]).toMatchObject({ status: "updated", id });
    expect(out.results[1]).toMatchObject({
      status: "error",
      errors: [{ code: "CONTACT_ID_UNKNOWN", field: "id", index: 1 }],
    });
  });

  it("dialect hooks: fallbackMatch finds a contact, check can skip or refuse an input", async () => {
    const created = await upsertContacts(store.db, [contact({ surname: "Hooked" })], opts());
    const id = created.results[0].id as number;
    const out = await upsertContacts(
      store.db,
      [
        { fields: { surname: "Hooked", phoneHome: "1" } },
        { fields: { surname: "Skip me" } },
        { fields: { surname: "Refuse me" } },
      ],
      {
        ...opts(),
        mode: "partial",
        requireMatchKey: false,
        hooks: {
          fallbackMatch: async (_trx, _tenant, unmatched) =>
            new Map(unmatched.filter((u) => u.input.fields.surname === "Hooked").map((u) => [u.index, id])),
          check: (input, stored) => {
            if (input.fields.surname === "Skip me") return "skip";
            if (input.fields.surname === "Refuse me")
              return [{ code: "CONTACT_FIELD_INVALID", field: "surname", message: "no" }];
            expect(stored?.id).toBe(id);
            return [];
          },
        },
      },
    );
    expect(out.results.map((r) => r.status)).toEqual(["updated", "skipped", "error"]);
    expect((await getContact(store.db, tenant.id, id))?.fields.phoneHome).toBe("1");
  });
});
