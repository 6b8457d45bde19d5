import { describe, expect, it } from "vitest";
import type { ContactInput } from "./contact.js";
import { matchKeyField, matchKeyMissingMessage, matchKeyOf } from "./match-key.js";

const contactInput = (
  fields: ContactInput["fields"],
  identifiers?: Record<string, string>,
): ContactInput => ({
  fields,
  ...(identifiers ? { identifiers } : {}),
});

describe("matchKeyOf", () => {
  it("normalises an email and trims an identifier", () => {
    expect(matchKeyOf(contactInput({ email: " Ada@Example.ORG " }), "email")).toBe("ada@example.org");
    expect(matchKeyOf(contactInput({}, { external_id: " S-1 " }), { scheme: "external_id" })).toBe("S-1");
    expect(matchKeyOf(contactInput({}, { external_id: "  " }), { scheme: "external_id" })).toBeNull();
  });

  it("builds a pi only from a surname with an email or a date of birth", () => {
    expect(matchKeyOf(contactInput({ givenName: "Ada", surname: "Lovelace" }), "pi")).toBeNull();
    expect(matchKeyOf(contactInput({ surname: "Lovelace", dateOfBirth: "1815-12-10" }), "pi")).toBe(
      "\u001f\u001flovelace\u001f1815-12-10",
    );
  });
});

describe("a missing match key's error", () => {
  it("points at the field the client fills, not at the idProperty's name", () => {
    expect(matchKeyField(contactInput({}), { scheme: "external_id" })).toBe("identifiers.external_id");
    expect(matchKeyField(contactInput({}), "email")).toBe("email");
    expect(matchKeyField(contactInput({}), "id")).toBe("id");
  });

  it("names the part of a pi that is missing", () => {
    const noSurname = contactInput({ email: "ada@example.org" });
    const noEmailNorDate = contactInput({ surname: "Lovelace" });
    expect(matchKeyField(noSurname, "pi")).toBe("surname");
    expect(matchKeyMissingMessage(noSurname, "pi")).toBe(
      "The input has no pi to match on: a pi needs a surname",
    );
    expect(matchKeyField(noEmailNorDate, "pi")).toBe("email");
    expect(matchKeyMissingMessage(noEmailNorDate, "pi")).toBe(
      "The input has no pi to match on: a pi needs an email or a dateOfBirth besides the surname",
    );
    expect(matchKeyMissingMessage(contactInput({}), { scheme: "crm_number" })).toBe(
      "The input has no crm_number to match on",
    );
  });
});
