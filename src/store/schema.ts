import type { ColumnType, Generated } from "kysely";

// Kysely table types, in camelCase (the CamelCasePlugin maps them to the snake_case columns).

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface TenantsTable {
  id: Generated<number>;
  name: string;
  createdAt: Generated<Date>;
}

export interface UsersTable {
  tenantId: number;
  id: Generated<number>;
  username: string;
  email: string | null;
  passwordHash: string | null;
  roles: string[];
  disabled: Generated<boolean>;
  failedLoginCount: Generated<number>;
  failedLoginWindowStart: Date | null;
  lockedUntil: Date | null;
  createdAt: Generated<Date>;
}

export interface ApiTokensTable {
  tenantId: number;
  id: Generated<number>;
  userId: number | null;
  tokenHash: Buffer;
  kind: Generated<string>;
  roles: string[];
  createdAt: Generated<Date>;
  expiresAt: Date | null;
  idleTimeoutSeconds: number | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ReferenceItemsTable {
  tenantId: number;
  id: Generated<number>;
  kind: string;
  name: string;
  code: string | null;
  parentId: number | null;
  active: Generated<boolean>;
  sortOrder: Generated<number>;
  createdAt: Generated<Date>;
  modifiedAt: Generated<Date>;
}

// The contacts table's ~100 scalar columns are listed in core/contact-fields.ts; the engine writes them
// with set-based SQL built from that list, so only the bookkeeping columns are typed here.
export interface ContactsTable {
  tenantId: number;
  id: Generated<number>;
  createdAt: Generated<Date>;
  modifiedAt: Generated<Date>;
  createdBy: string | null;
  modifiedBy: string | null;
  email: string | null;
  givenName: string | null;
  surname: string | null;
  dateOfBirth: string | null;
}

export interface ContactIdentifiersTable {
  tenantId: number;
  scheme: string;
  value: string;
  contactId: number;
  createdAt: Generated<Date>;
}

export interface HeatStatusHistoryTable {
  tenantId: number;
  id: Generated<number>;
  contactId: number;
  heatStatusId: number | null;
  reason: string | null;
  changedAt: Timestamp;
  actor: string | null;
}

export interface ContactStatusHistoryTable {
  tenantId: number;
  id: Generated<number>;
  contactId: number;
  contactStatusId: number | null;
  reason: string | null;
  changedAt: Timestamp;
  actor: string | null;
}

export interface ContactTagsTable {
  tenantId: number;
  contactId: number;
  tag: string;
  taggedAt: string | null;
  createdAt: Generated<Date>;
}

export interface ContactConsentsTable {
  tenantId: number;
  contactId: number;
  consentType: string;
  granted: boolean;
  recordedAt: Timestamp;
}

export interface ContactActivitiesTable {
  tenantId: number;
  id: Generated<number>;
  contactId: number;
  kind: string | null;
  courses: ColumnType<unknown, string, string>;
  fingerprint: string;
  createdAt: Generated<Date>;
}

export interface ContactCommunicationsTable {
  tenantId: number;
  id: Generated<number>;
  contactId: number;
  incoming: boolean | null;
  category: string | null;
  type: string | null;
  headline: string | null;
  labels: string[] | null;
  subject: string | null;
  code: string | null;
  effectiveness: string | null;
  fromEmail: string | null;
  toEmail: string | null;
  sendExternal: boolean | null;
  source: string | null;
  referralSource: string | null;
  occurredAt: Date | null;
  fingerprint: string;
  createdAt: Generated<Date>;
}

export interface ContactNotesTable {
  tenantId: number;
  id: Generated<number>;
  contactId: number;
  content: string;
  noteType: string | null;
  actor: string | null;
  fingerprint: string;
  createdAt: Generated<Date>;
}

export interface ContactTasksTable {
  tenantId: number;
  id: Generated<number>;
  contactId: number;
  taskType: string | null;
  description: string | null;
  actionDate: string | null;
  done: Generated<boolean>;
  fingerprint: string;
  createdAt: Generated<Date>;
}

export interface IdempotencyKeysTable {
  tenantId: number;
  key: string;
  requestHash: string;
  statusCode: number | null;
  contentType: string | null;
  responseBody: string | null;
  createdAt: Generated<Date>;
}

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  apiTokens: ApiTokensTable;
  referenceItems: ReferenceItemsTable;
  contacts: ContactsTable;
  contactIdentifiers: ContactIdentifiersTable;
  contactHeatStatusHistory: HeatStatusHistoryTable;
  contactStatusHistory: ContactStatusHistoryTable;
  contactTags: ContactTagsTable;
  contactConsents: ContactConsentsTable;
  contactActivities: ContactActivitiesTable;
  contactCommunications: ContactCommunicationsTable;
  contactNotes: ContactNotesTable;
  contactTasks: ContactTasksTable;
  idempotencyKeys: IdempotencyKeysTable;
}
