import { type Kysely, sql } from "kysely";
import { type ContactCollection, contactCollections, type ScalarValue } from "../../core/contact.js";
import type { Database } from "../schema.js";
import { communicationColumns } from "./child-fingerprint.js";
import { scalarColumns } from "./contact-columns.js";
import { normaliseStoredRow } from "./upsert-contacts.js";

export interface ContactView {
  id: number;
  fields: Record<string, ScalarValue>;
  identifiers: Record<string, string>;
  createdAt: Date;
  modifiedAt: Date;
  createdBy: string | null;
  modifiedBy: string | null;
}

export interface ContactChildren {
  tags: Array<{ tag: string; taggedAt: string | null }>;
  consents: Array<{ type: string; granted: boolean; recordedAt: Date }>;
  activities: Array<{ id: number; kind: string | null; courses: unknown; createdAt: Date }>;
  communications: Array<Record<string, unknown>>;
  notes: Array<{
    id: number;
    content: string;
    noteType: string | null;
    actor: string | null;
    createdAt: Date;
  }>;
  tasks: Array<{
    id: number;
    taskType: string | null;
    description: string | null;
    actionDate: string | null;
    done: boolean;
    createdAt: Date;
  }>;
}

const selectContactSql = sql.raw(
  `id, ${scalarColumns.join(", ")}, created_at, modified_at, created_by, modified_by`,
);

/** Loads contacts of one tenant by id, with their identifiers; missing ids are simply absent. */
export async function getContacts(
  db: Kysely<Database>,
  tenantId: number,
  ids: number[],
): Promise<ContactView[]> {
  if (ids.length === 0) return [];
  const rows = await sql<
    Record<string, unknown>
  >`select ${selectContactSql} from contacts where tenant_id = ${tenantId} and id = any(${ids}::bigint[])`.execute(
    db,
  );
  const identifiers = await db
    .selectFrom("contactIdentifiers")
    .select(["contactId", "scheme", "value"])
    .where("tenantId", "=", tenantId)
    .where("contactId", "in", ids)
    .execute();
  const byId = new Map(rows.rows.map((row) => [Number(row.id), toView(row)]));
  for (const i of identifiers) {
    const view = byId.get(Number(i.contactId));
    if (view) view.identifiers[i.scheme] = i.value;
  }
  return ids.map((id) => byId.get(id)).filter((v): v is ContactView => v !== undefined);
}

/** One contact of one tenant, or undefined (a contact of another tenant is as absent as a missing one). */
export async function getContact(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<ContactView | undefined> {
  return (await getContacts(db, tenantId, [id]))[0];
}

function toView(row: Record<string, unknown>): ContactView {
  return {
    id: Number(row.id),
    fields: normaliseStoredRow(row),
    identifiers: {},
    createdAt: row.createdAt as Date,
    modifiedAt: row.modifiedAt as Date,
    createdBy: (row.createdBy as string | null) ?? null,
    modifiedBy: (row.modifiedBy as string | null) ?? null,
  };
}

/** The collections hanging off one contact. */
export async function getContactChildren(
  db: Kysely<Database>,
  tenantId: number,
  contactId: number,
): Promise<ContactChildren> {
  return (await getContactsChildren(db, tenantId, [contactId], contactCollections)).get(
    contactId,
  ) as ContactChildren;
}

/**
 * The asked-for collections of many contacts of one tenant, one query per collection (a page of an export
 * or a list, not one round trip per contact). Every id gets an entry, empty lists where it has nothing.
 */
export async function getContactsChildren<C extends ContactCollection>(
  db: Kysely<Database>,
  tenantId: number,
  contactIds: readonly number[],
  collections: readonly C[],
): Promise<Map<number, Pick<ContactChildren, C>>> {
  const byContact = new Map<number, Pick<ContactChildren, C>>();
  for (const id of contactIds) {
    const empty: Partial<ContactChildren> = {};
    for (const c of collections) empty[c] = [];
    byContact.set(id, empty as Pick<ContactChildren, C>);
  }
  if (contactIds.length === 0 || collections.length === 0) return byContact;
  const ids = sql<number>`any(${[...contactIds]}::bigint[])`;
  const loaders: Record<ContactCollection, () => Promise<Array<Record<string, unknown>>>> = {
    tags: () =>
      db
        .selectFrom("contactTags")
        .select(["contactId", "tag", "taggedAt"])
        .where("tenantId", "=", tenantId)
        .where("contactId", "=", ids)
        .orderBy("tag")
        .execute(),
    consents: () =>
      db
        .selectFrom("contactConsents")
        .select(["contactId", "consentType as type", "granted", "recordedAt"])
        .where("tenantId", "=", tenantId)
        .where("contactId", "=", ids)
        .orderBy("consentType")
        .execute(),
    activities: () =>
      db
        .selectFrom("contactActivities")
        .select(["contactId", "id", "kind", "courses", "createdAt"])
        .where("tenantId", "=", tenantId)
        .where("contactId", "=", ids)
        .orderBy("id")
        .execute(),
    communications: () =>
      db
        .selectFrom("contactCommunications")
        .select(["contactId", "id", ...communicationColumns.map(([name]) => name), "createdAt"])
        .where("tenantId", "=", tenantId)
        .where("contactId", "=", ids)
        .orderBy("id")
        .execute(),
    notes: () =>
      db
        .selectFrom("contactNotes")
        .select(["contactId", "id", "content", "noteType", "actor", "createdAt"])
        .where("tenantId", "=", tenantId)
        .where("contactId", "=", ids)
        .orderBy("id")
        .execute(),
    tasks: () =>
      db
        .selectFrom("contactTasks")
        .select(["contactId", "id", "taskType", "description", "actionDate", "done", "createdAt"])
        .where("tenantId", "=", tenantId)
        .where("contactId", "=", ids)
        .orderBy("id")
        .execute(),
  };
  const loaded = await Promise.all(collections.map((c) => loaders[c]()));
  collections.forEach((collection, i) => {
    for (const row of loaded[i]) {
      const { contactId, ...item } = row;
      if ("id" in item) item.id = Number(item.id);
      (byContact.get(Number(contactId))?.[collection] as unknown[] | undefined)?.push(item);
    }
  });
  return byContact;
}

export interface ContactSearch {
  q?: string;
  limit: number;
  /** the last id of the previous page */
  afterId?: number;
  email?: string;
  surname?: string;
  identifier?: { scheme?: string; value: string };
  modifiedSince?: Date;
  offset?: number;
}

/** Searches one tenant's contacts by name, email or identifier, in id order; answers ids. */
export async function searchContactIds(
  db: Kysely<Database>,
  tenantId: number,
  search: ContactSearch,
): Promise<number[]> {
  let query = db.selectFrom("contacts").select("contacts.id").where("contacts.tenantId", "=", tenantId);
  if (search.afterId !== undefined) query = query.where("contacts.id", ">", search.afterId);
  if (search.email) query = query.where(sql`lower(email)`, "=", search.email.trim().toLowerCase());
  if (search.surname) query = query.where(sql`lower(surname)`, "=", search.surname.trim().toLowerCase());
  if (search.modifiedSince) query = query.where("contacts.modifiedAt", ">=", search.modifiedSince);
  if (search.identifier) {
    const { scheme, value } = search.identifier;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom("contactIdentifiers as i")
          .select(sql`1`.as("one"))
          .whereRef("i.tenantId", "=", "contacts.tenantId")
          .whereRef("i.contactId", "=", "contacts.id")
          .where("i.value", "=", value)
          .$if(scheme !== undefined, (q) => q.where("i.scheme", "=", scheme as string)),
      ),
    );
  }
  if (search.q?.trim()) {
    // A line break would match across two of the parts joined below.
    const q = search.q.trim().replace(/[\r\n]+/g, " ");
    const like = `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([
        // One lowered text and one LIKE per contact, not one per part: a search that matches nothing reads
        // every contact of the tenant. The parts: names given name first and surname first (as a list
        // sorted by surname shows a person), the preferred name, and the email, whose part finds it too:
        // a domain ("example.org") or a mailbox ("ada@").
        eb(
          sql`lower(concat_ws(E'\n', concat_ws(' ', given_name, surname), concat_ws(' ', surname, given_name), concat_ws(' ', preferred_name, surname), email))`,
          "like",
          like,
        ),
        // Uncorrelated: PostgreSQL looks the identifier up once, not once per contact.
        eb(
          "contacts.id",
          "in",
          eb
            .selectFrom("contactIdentifiers as i")
            .select("i.contactId")
            .where("i.tenantId", "=", tenantId)
            .where("i.value", "=", q),
        ),
        ...(/^\d{1,15}$/.test(q) ? [eb("contacts.id", "=", Number(q))] : []),
      ]),
    );
  }
  const rows = await query
    .orderBy("contacts.id")
    .limit(search.limit)
    .offset(search.offset ?? 0)
    .execute();
  return rows.map((r) => Number(r.id));
}

/** Counts what searchContactIds would find without paging. */
export async function countContacts(
  db: Kysely<Database>,
  tenantId: number,
  search: Omit<ContactSearch, "limit" | "afterId" | "offset">,
): Promise<number> {
  const ids = await searchContactIds(db, tenantId, { ...search, limit: Number.MAX_SAFE_INTEGER });
  return ids.length;
}

export interface StatusChange {
  kind: "heat_status" | "contact_status";
  statusId: number | null;
  statusName: string | null;
  reason: string | null;
  changedAt: Date;
  actor: string | null;
}

/** The heat-status and contact-status history of one contact, oldest first. */
export async function getStatusHistory(
  db: Kysely<Database>,
  tenantId: number,
  contactId: number,
): Promise<StatusChange[]> {
  const rows = await sql<{
    kind: StatusChange["kind"];
    statusId: number | null;
    statusName: string | null;
    reason: string | null;
    changedAt: Date;
    actor: string | null;
    id: number;
  }>`
    select 'heat_status' as kind, h.heat_status_id as status_id, r.name as status_name, h.reason, h.changed_at, h.actor, h.id
    from contact_heat_status_history h left join reference_items r on r.tenant_id = h.tenant_id and r.id = h.heat_status_id
    where h.tenant_id = ${tenantId} and h.contact_id = ${contactId}
    union all
    select 'contact_status', h.contact_status_id, r.name, h.reason, h.changed_at, h.actor, h.id
    from contact_status_history h left join reference_items r on r.tenant_id = h.tenant_id and r.id = h.contact_status_id
    where h.tenant_id = ${tenantId} and h.contact_id = ${contactId}
    order by changed_at, id`.execute(db);
  return rows.rows.map(({ id: _id, ...r }) => ({
    ...r,
    statusId: r.statusId === null ? null : Number(r.statusId),
  }));
}
