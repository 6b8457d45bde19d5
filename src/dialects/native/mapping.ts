import { type ContactInput, contactCollections, type ScalarValue } from "../../core/contact.js";
import { contactFields, contactFieldsByName } from "../../core/contact-fields.js";
import type { ContactChildren, ContactView, StatusChange } from "../../store/contacts/read-contacts.js";

const envelopeKeys = new Set([
  "id",
  "identifiers",
  "heatStatusReason",
  "contactStatusReason",
  "contactStatusDate",
  ...contactCollections,
]);

/** The native wire's contact input (already shape-checked) as the canonical input. */
export function toCanonical(wire: Record<string, unknown>): ContactInput {
  const fields: Record<string, ScalarValue> = {};
  for (const [key, value] of Object.entries(wire)) {
    if (!envelopeKeys.has(key) && contactFieldsByName.has(key)) fields[key] = value as ScalarValue;
  }
  const input: ContactInput = { fields };
  if (typeof wire.id === "number") input.id = wire.id;
  if (wire.identifiers) input.identifiers = { ...(wire.identifiers as Record<string, string>) };
  if (wire.heatStatusReason !== undefined) input.heatStatusReason = wire.heatStatusReason as string | null;
  if (wire.contactStatusReason !== undefined)
    input.contactStatusReason = wire.contactStatusReason as string | null;
  if (wire.contactStatusDate !== undefined) input.contactStatusDate = wire.contactStatusDate as string | null;
  for (const key of contactCollections) {
    if (Array.isArray(wire[key])) (input as unknown as Record<string, unknown>)[key] = wire[key];
  }
  return input;
}

/** A stored contact on the native wire: every field (null when empty), identifiers, bookkeeping. */
export function fromCanonical(view: ContactView, children?: ContactChildren): Record<string, unknown> {
  const out: Record<string, unknown> = { id: view.id, identifiers: view.identifiers };
  for (const f of contactFields) out[f.name] = view.fields[f.name] ?? null;
  out.createdAt = view.createdAt.toISOString();
  out.modifiedAt = view.modifiedAt.toISOString();
  out.createdBy = view.createdBy;
  out.modifiedBy = view.modifiedBy;
  if (children) Object.assign(out, children);
  return out;
}

/** One status-history row on the native wire. */
export function historyToWire(change: StatusChange): Record<string, unknown> {
  return { ...change, changedAt: change.changedAt.toISOString() };
}
