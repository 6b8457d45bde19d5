// ServiceStack's own metadata page for the Regent College upsert endpoint shows these pretty-printed samples
// (JsvFormatter's layout: tabs, a space after the first colon, CRs dropped). Copied verbatim.
import { describe, expect, it } from "vitest";
import { getJsvField, isDotNetMinDate, jsvToBoolean, jsvToDate, jsvToNumber, parseJsv } from "./index.js";

const REQUEST = `{
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

const RESPONSE = `{
	errorCode: String,
	message: String,
	stackTrace: String,
	errors: 
	[
		{
			errorCode: String,
			fieldName: String,
			message: String,
			meta: 
			{
				String: String
			}
		}
	],
	meta: 
	{
		String: String
	}
}`;

describe("the ServiceStack page's pretty-printed samples", () => {
  it("reads the request: contacts holds one map with every field trimmed of layout", () => {
    const body = parseJsv(REQUEST);
    const contacts = getJsvField(body, "contacts");
    expect(Array.isArray(contacts)).toBe(true);
    expect(contacts).toHaveLength(1);
    const contact = (contacts as unknown[])[0];
    expect(getJsvField(contact, "regent_id")).toBe("0");
    expect(getJsvField(contact, "first_name")).toBe("String");
    expect(getJsvField(contact, "dob")).toBe("0001-01-01");
    expect(getJsvField(contact, "spouse_is_main_contact")).toBe("False");
    expect(getJsvField(contact, "email")).toBe("String");
    expect(getJsvField(contact, "owning_username")).toBe("String");
    expect(Object.keys(contact as object)).toHaveLength(57);
  });

  it("gives values the typed helpers read", () => {
    const contact = (getJsvField(parseJsv(REQUEST), "contacts") as unknown[])[0];
    expect(jsvToNumber(getJsvField(contact, "regent_id"))).toBe(0);
    expect(jsvToBoolean(getJsvField(contact, "no_email"))).toBe(false);
    const dob = jsvToDate(getJsvField(contact, "dob"));
    expect(dob?.toISOString()).toBe("0001-01-01T00:00:00.000Z");
    expect(isDotNetMinDate(dob as Date)).toBe(true);
  });

  it("reads the error response with its nested lists and maps", () => {
    expect(parseJsv(RESPONSE)).toEqual({
      errorCode: "String",
      message: "String",
      stackTrace: "String",
      errors: [{ errorCode: "String", fieldName: "String", message: "String", meta: { String: "String" } }],
      meta: { String: "String" },
    });
  });

  it("reads the same documents with CRLF line breaks, as a Windows server sends them", () => {
    expect(parseJsv(REQUEST.replaceAll("\n", "\r\n"))).toEqual(parseJsv(REQUEST));
    expect(parseJsv(RESPONSE.replaceAll("\n", "\r\n"))).toEqual(parseJsv(RESPONSE));
  });
});
