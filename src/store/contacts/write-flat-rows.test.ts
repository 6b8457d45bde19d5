import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../../test/helpers/test-store.js";
import type { ContactInput, ScalarValue } from "../../core/contact.js";
import { validateContactInput } from "../../core/validate-contact.js";
import { createTenant } from "../tenants.js";
import { FlatBatchBuilder } from "./flat-rows.js";
import { getContacts } from "./read-contacts.js";
import { type UpsertResult, upsertContactsInTransaction } from "./upsert-contacts.js";
import { upsertFlatBatch } from "./write-flat-rows.js";

const scheme = "external_id";
const actor = "flat-test";

// Few keys and few values, so batches repeat keys, match stored contacts and leave fields unchanged often.
const keys = ["K1", "K2", "K3", "K4", " K5 ", "K6", "K\\7\tx"];
const texts = ["Ada", "Byron", "tab\there", "line\nbreak", "back\\slash", "\\N", "ünï €𝄞", ""];
const fieldValues: Record<string, fc.Arbitrary<ScalarValue>> = {
  givenName: fc.constantFrom(...texts),
  surname: fc.constantFrom("Lovelace", "Babbage", "x".repeat(121)),
  company: fc.constantFrom(...texts),
  email: fc.constantFrom("ada@example.org", " ada@example.org ", "not an email"),
  dateOfBirth: fc.constantFrom("1990-02-03", "1990-02-03T10:00:00+11:00", "1990-02-30"),
  isApplicant: fc.constantFrom(true, false),
  sourceModifiedAt: fc.constantFrom("2026-11-30T08:15:30.250Z", "2026-11-30T19:15:30.250+11:00"),
};
const field = (name: string) =>
  fc.option(fc.oneof(fc.constant(null), fieldValues[name]), { nil: undefined, freq: 2 });

const flatInput: fc.Arbitrary<ContactInput> = fc
  .record({
    key: fc.option(fc.constantFrom(...keys, "  "), { nil: undefined, freq: 8 }),
    fields: fc.record(Object.fromEntries(Object.keys(fieldValues).map((name) => [name, field(name)]))),
  })
  .map(({ key, fields }) => {
    const input: ContactInput = { fields: {} };
    if (key !== undefined) input.identifiers = { [scheme]: key };
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) input.fields[name] = value;
    return input;
  });

/** The batch through the engine, inside a transaction, as a partial batch matched on the scheme. */
async function throughEngine(store: TestStore, tenantId: number, inputs: ContactInput[]) {
  return store.db.transaction().execute(async (trx) => {
    const validated = inputs.map((input, index) => validateContactInput(input, index));
    const outcome = await upsertContactsInTransaction(trx, inputs, {
      tenantId,
      idProperty: { scheme },
      mode: "partial",
      actor,
      validated,
    });
    return outcome.results;
  });
}

/** The same batch as a flat batch through the set-based writer; null when it is not flat. */
async function throughFlatWriter(store: TestStore, tenantId: number, inputs: ContactInput[]) {
  const batch = new FlatBatchBuilder(scheme);
  for (const [index, input] of inputs.entries()) {
    if (!batch.add(input, validateContactInput(input, index))) return null;
  }
  const flat = batch.finish((_index, field) => `row.${field}`);
  return store.db.transaction().execute((trx) => upsertFlatBatch(trx, flat, { tenantId, actor }));
}

/** A tenant's contacts by their key, with their fields, and the contact each result names by its key. */
async function tenantState(store: TestStore, tenantId: number, results: UpsertResult[]) {
  const owners = await sql<{ value: string; contactId: number }>`
    select value, contact_id from contact_identifiers where tenant_id = ${tenantId} and scheme = ${scheme}`.execute(
    store.db,
  );
  const keyOf = new Map(owners.rows.map((r) => [Number(r.contactId), r.value]));
  const ids = [...keyOf.keys()];
  const contacts = await getContacts(store.db, tenantId, ids);
  const count = await sql<{
    n: number;
  }>`select count(*)::int as n from contacts where tenant_id = ${tenantId}`.execute(store.db);
  return {
    contactCount: count.rows[0].n,
    byKey: Object.fromEntries(
      contacts.map((c) => [
        keyOf.get(c.id),
        { fields: c.fields, identifiers: c.identifiers, modifiedBy: c.modifiedBy, createdBy: c.createdBy },
      ]),
    ),
    results: results.map((r) => ({
      status: r.status,
      key: r.id === undefined ? undefined : keyOf.get(r.id),
      errors: r.errors.map(({ code, field, message }) => ({ code, field, message })),
    })),
  };
}

describe.each(testEngines)("writeFlatRows on %s", (engine) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(engine, "flat-rows");
  });
  afterAll(() => store.dispose());

  it("gives every batch of flat inputs what the engine gives it: results, contacts and identifiers", async () => {
    let tenants = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(flatInput, { maxLength: 6 }),
        fc.array(flatInput, { maxLength: 14 }),
        async (seed, batch) => {
          tenants++;
          const engineTenant = (await createTenant(store.db, `engine ${tenants}`)).id;
          const flatTenant = (await createTenant(store.db, `flat ${tenants}`)).id;
          // Both tenants start from the same stored contacts, written by the engine.
          await throughEngine(store, engineTenant, structuredClone(seed));
          await throughEngine(store, flatTenant, structuredClone(seed));
          const viaEngine = await throughEngine(store, engineTenant, structuredClone(batch));
          const viaFlat = await throughFlatWriter(store, flatTenant, structuredClone(batch));
          if (!viaFlat) throw new Error("every generated input is flat");
          // The engine names fields bare; the flat batch was given a path that prefixes them.
          const engineState = await tenantState(store, engineTenant, viaEngine);
          for (const result of engineState.results)
            for (const error of result.errors) if (error.field) error.field = `row.${error.field}`;
          expect(await tenantState(store, flatTenant, viaFlat)).toEqual(engineState);
        },
      ),
      { numRuns: engine === "pglite" ? 60 : 120 },
    );
  });

  it("writes nothing for a row that changes nothing, and bumps modified_at only for the ones it updates", async () => {
    const tenantId = (await createTenant(store.db, "unchanged")).id;
    const inputs = (): ContactInput[] => [
      { identifiers: { [scheme]: "U1" }, fields: { givenName: "Ada", company: "Acme" } },
      { identifiers: { [scheme]: "U2" }, fields: { givenName: "Alan" } },
    ];
    const first = await throughFlatWriter(store, tenantId, inputs());
    expect(first?.map((r) => r.status)).toEqual(["created", "created"]);
    const before = await sql<{ id: number; modifiedAt: Date }>`
      select id, modified_at from contacts where tenant_id = ${tenantId} order by id`.execute(store.db);
    const changed = inputs();
    changed[1].fields.company = "Bletchley";
    const second = await throughFlatWriter(store, tenantId, changed);
    expect(second?.map((r) => r.status)).toEqual(["unchanged", "updated"]);
    const after = await sql<{ id: number; modifiedAt: Date }>`
      select id, modified_at from contacts where tenant_id = ${tenantId} order by id`.execute(store.db);
    expect(after.rows[0].modifiedAt).toEqual(before.rows[0].modifiedAt);
    expect(after.rows[1].modifiedAt.getTime()).toBeGreaterThanOrEqual(before.rows[1].modifiedAt.getTime());
  });

  it("refuses a batch with an input that is not flat, leaving it to the engine", () => {
    const batch = new FlatBatchBuilder(scheme);
    const flat = { identifiers: { [scheme]: "F1" }, fields: { givenName: "Ada" } };
    expect(batch.add(flat, [])).toBe(true);
    const notFlat: ContactInput[] = [
      { identifiers: { [scheme]: "F2", crm_number: "9" }, fields: {} },
      { identifiers: { [scheme]: "F2" }, id: 7, fields: {} },
      { identifiers: { [scheme]: "F2" }, fields: { heatStatusId: 3 } },
      { identifiers: { [scheme]: "F2" }, fields: {}, tags: [{ tag: "alumni" }] },
    ];
    for (const input of notFlat) expect(batch.add(input, [])).toBe(false);
    expect(batch.inputCount).toBe(1);
    expect(batch.toInputs()).toEqual({ inputs: [flat], validated: [[]] });
  });
});
