/**
 * The canonical contact as the engine sees it: scalar fields (see contact-fields.ts), identifiers
 * by scheme, and the collections that hang off a contact.
 */

export type ScalarValue = string | number | boolean | null;

export interface TagInput {
  tag: string;
  /** YYYY-MM-DD or ISO timestamp; defaults to the write time */
  taggedAt?: string | null;
}

export interface ConsentInput {
  type: string;
  granted: boolean;
  recordedAt?: string | null;
}

export interface CourseInput {
  preferenceNumber?: number | null;
  studyLevel?: string | null;
  faculty?: string | null;
  course?: string | null;
  department?: string | null;
  campus?: string | null;
  studyArea?: string | null;
}

export interface ActivityInput {
  kind?: string | null;
  courses: CourseInput[];
}

export interface CommunicationInput {
  incoming?: boolean | null;
  category?: string | null;
  type?: string | null;
  headline?: string | null;
  labels?: string[] | null;
  subject?: string | null;
  code?: string | null;
  effectiveness?: string | null;
  fromEmail?: string | null;
  toEmail?: string | null;
  sendExternal?: boolean | null;
  source?: string | null;
  referralSource?: string | null;
  occurredAt?: string | null;
}

export interface NoteInput {
  content: string;
  noteType?: string | null;
}

export interface TaskInput {
  taskType?: string | null;
  description?: string | null;
  actionDate?: string | null;
}

/** The lists a contact input may carry beside its fields, in the order the engine writes them. */
export const contactCollections = [
  "tags",
  "consents",
  "activities",
  "communications",
  "notes",
  "tasks",
] as const;

/** One of a contact input's lists (`tags`, `notes`, …). */
export type ContactCollection = (typeof contactCollections)[number];

/** What a writer sends: absent keys leave stored values alone, null clears them. */
export interface ContactInput {
  /** the contact's own id, for idProperty "id" */
  id?: number;
  identifiers?: Record<string, string>;
  fields: Record<string, ScalarValue>;
  heatStatusReason?: string | null;
  contactStatusReason?: string | null;
  /** when the status changes took effect; defaults to the write time */
  contactStatusDate?: string | null;
  tags?: TagInput[];
  consents?: ConsentInput[];
  activities?: ActivityInput[];
  communications?: CommunicationInput[];
  notes?: NoteInput[];
  tasks?: TaskInput[];
}

/** A stored contact: every scalar field plus bookkeeping. */
export interface ContactRecord {
  id: number;
  tenantId: number;
  fields: Record<string, ScalarValue>;
  createdAt: Date;
  modifiedAt: Date;
}
