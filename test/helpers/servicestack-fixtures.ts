import { hashPassword } from "../../src/auth/password-hash.js";
import { createUser, type User } from "../../src/store/users.js";
import type { TestApp } from "./test-app.js";

/** A 1×1 PNG, as a client would send a real photo. */
export const pngBase64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

let counter = 0;

/** A realistic `CRMContactCreateRequest` with unique identity, overridable field by field. */
export function ssContact(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    regent_id: 700000 + process.pid * 10 + counter,
    first_name: "Ada",
    last_name: `Lovelace-${counter}`,
    email: `ada.${counter}@example.org`,
    dob: "1990-05-01",
    ...overrides,
  };
}

/** A user of the test tenant who may sign in with a password. */
export async function ssUser(
  t: TestApp,
  options: { username?: string; password?: string; roles?: string[]; tenantId?: number; email?: string } = {},
): Promise<User & { password: string }> {
  counter += 1;
  const password = options.password ?? `pw-${counter}-secret`;
  const user = await createUser(t.store.db, {
    tenantId: options.tenantId ?? t.tenant.id,
    username: options.username ?? `regis${counter}`,
    email: options.email ?? null,
    passwordHash: await hashPassword(password),
    roles: options.roles ?? ["REGISUserRole"],
  });
  return { ...user, password };
}

/** The page's sample request body, verbatim (tabs, placeholders and all). */
export const pageSampleJsv = `{
	contacts: 
	[
		{
			regent_id: 0,
			first_name: String,
			last_name: String,
			middle_name: String,
			preferred_name: String,
			prefix: String,
			addressee: String,
			primary_salutation: String,
			former_name: String,
			spouse_name: String,
			spouse_is_main_contact: False,
			addr1: String,
			addr2: String,
			city: String,
			state: String,
			country: String,
			code: String,
			dob: 0001-01-01,
			deceased_date: 0001-01-01,
			citizenship: String,
			citizenship_other: String,
			permanent_resident: String,
			denomination: String,
			connection_to_regent: String,
			student_segment: String,
			reason_added: String,
			gender: String,
			marital_status: String,
			financial_aid_received: False,
			is_applicant: False,
			solicitation_method: String,
			solicitation_exceptions: String,
			campaign_monitor_optin: False,
			campaign_monitor_suppressed: False,
			campaign_monitor_lists: String,
			email: String,
			email_secondary: String,
			phone_home: String,
			phone_bus: String,
			phone_cell: String,
			no_mail: False,
			no_email: False,
			no_bulk_email: False,
			no_phone: False,
			no_marketing_materials: False,
			prefers_email: False,
			prefers_phone: False,
			last_credit_class: 0001-01-01,
			last_audit_class: 0001-01-01,
			last_oncampus_class: 0001-01-01,
			last_distance_education_class: 0001-01-01,
			last_evening_weekend_class: 0001-01-01,
			last_summer_class: 0001-01-01,
			last_marketplace_class: 0001-01-01,
			last_anglican_studies_class: 0001-01-01,
			image_base64: String,
			owning_username: String
		}
	]
}`;

/**
 * The page's sample with realistic values in place of its placeholders, written the way the sample is
 * (JSV, tabs): `values` replaces fields by wire name, and a null removes the line.
 */
export function realisticSampleJsv(values: Record<string, string | null>): string {
  return pageSampleJsv
    .split("\n")
    .filter((line) => {
      const name = /^\t\t\t(\w+):/.exec(line)?.[1];
      return !(name && values[name] === null);
    })
    .map((line) => {
      const m = /^(\t\t\t)(\w+): (.*?)(,?)$/.exec(line);
      if (!m || !(m[2] in values)) return line;
      return `${m[1]}${m[2]}: ${values[m[2]]}${m[4]}`;
    })
    .join("\n")
    .replace(/,(\n\t\t\})/, "$1");
}
