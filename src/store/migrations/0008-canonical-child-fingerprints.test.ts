import { createHash } from "node:crypto";
import { Migrator } from "kysely/migration";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, testEngines } from "../../../test/helpers/test-store.js";
import { getContactChildren } from "../contacts/read-contacts.js";
import { upsertContacts } from "../contacts/upsert-contacts.js";
import { createTenant } from "../tenants.js";
import { migrationProvider } from "./index.js";

// The fingerprint as the writer made it before 0008: a hash of the values as they were sent.
const sentFingerprint = (values: unknown[]) =>
  createHash("sha1").update(JSON.stringify(values)).digest("base64url");
const communication = (occurredAt: string) => [
  null,
  "Email",
  null,
  null,
  ["fees"],
  "Fees",
  null,
  null,
  null,
  null,
  null,
  null,
  null,
  occurredAt,
];

describe.each(testEngines)(
  "migration 0008 (one spelling of an activity or a communication) on %s",
  (engine) => {
    let store: TestStore;
    beforeAll(async () => {
      store = await openTestStore(engine, "migration_0008");
    });
    afterAll(() => store.dispose());

    it("makes the items stored twice under two spellings one, and a replay in a third spelling adds nothing", async () => {
      const tenant = await createTenant(store.db, "Migrating");
      const other = await createTenant(store.db, "Elsewhere");
      const options = (tenantId: number) => ({
        tenantId,
        idProperty: { scheme: "external_id" },
        mode: "allOrNone" as const,
        actor: "test",
      });
      const person = { identifiers: { external_id: "M-1" }, fields: { surname: "Marsh" } };
      const [id, otherId] = await Promise.all(
        [tenant.id, other.id].map(
          async (t) =>
            (await upsertContacts(store.db, [structuredClone(person)], options(t))).results[0].id as number,
        ),
      );
      // What the writer before 0008 stored for the same activity and communication sent two ways each, for two
      // tenants: four rows per table, two items per tenant.
      for (const [t, contactId] of [
        [tenant.id, id],
        [other.id, otherId],
      ]) {
        for (const [courses, at] of [
          ['[{"preferenceNumber":1,"course":"BA","faculty":null}]', "2026-02-03T04:05:06Z"],
          ['[{"course":"BA","preferenceNumber":1}]', "2026-02-03T15:05:06+11:00"],
        ]) {
          await store.executeSql(
            `insert into contact_activities (tenant_id, contact_id, kind, courses, fingerprint)
           values (${t}, ${contactId}, 'Enquiry', '${courses}', '${sentFingerprint(["Enquiry", courses])}')`,
          );
          await store.executeSql(
            `insert into contact_communications (tenant_id, contact_id, category, labels, subject, occurred_at, fingerprint)
           values (${t}, ${contactId}, 'Email', '{fees}', 'Fees', '${at}', '${sentFingerprint(communication(at))}')`,
          );
        }
      }
      const before = await getContactChildren(store.db, tenant.id, id);
      expect([before.activities.length, before.communications.length]).toEqual([2, 2]);

      const migrator = new Migrator({ db: store.db, provider: migrationProvider });
      expect((await migrator.migrateTo("0007-import-column-mapping")).error).toBeUndefined();
      expect((await migrator.migrateToLatest()).error).toBeUndefined();

      for (const [t, contactId] of [
        [tenant.id, id],
        [other.id, otherId],
      ]) {
        const after = await getContactChildren(store.db, t, contactId);
        expect(after.activities).toMatchObject([
          {
            id: before.activities[0].id + (t === tenant.id ? 0 : 2),
            kind: "Enquiry",
            courses: [{ course: "BA", preferenceNumber: 1 }],
          },
        ]);
        expect(after.activities[0].courses).toEqual([{ course: "BA", preferenceNumber: 1 }]);
        expect(after.communications).toMatchObject([{ subject: "Fees", labels: ["fees"] }]);
      }

      // The same items again, spelt a third way: nothing new.
      const replay = await upsertContacts(
        store.db,
        [
          {
            ...structuredClone(person),
            activities: [
              { kind: "Enquiry", courses: [{ course: "BA", faculty: null, preferenceNumber: 1 }] },
            ],
            communications: [
              {
                category: "Email",
                labels: ["fees"],
                subject: "Fees",
                occurredAt: "2026-02-03T04:05:06.000Z",
              },
            ],
          },
        ],
        options(tenant.id),
      );
      expect(replay.results[0].status).toBe("unchanged");
      const replayed = await getContactChildren(store.db, tenant.id, id);
      expect([replayed.activities.length, replayed.communications.length]).toEqual([1, 1]);
    });
  },
);
