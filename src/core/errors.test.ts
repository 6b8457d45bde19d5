import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorCatalog, fieldError, renameErrorField } from "./errors.js";

describe("error registry", () => {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  it.each(Object.keys(errorCatalog))("%s is documented in docs/errors.md", (code) => {
    expect(doc).toContain(`\`${code}\``);
  });
});

describe("renameErrorField", () => {
  it("names the field by the given path and renames the field where the message begins with it", () => {
    const e = fieldError("CONTACT_EMAIL_INVALID", "email", "email 'x' is not an email address", 3);
    expect(renameErrorField(e, "E-Mail")).toEqual({
      code: "CONTACT_EMAIL_INVALID",
      field: "E-Mail",
      message: "E-Mail 'x' is not an email address",
      index: 3,
    });
    expect(renameErrorField(e, "contacts[3].Email", "Email").message).toBe(
      "Email 'x' is not an email address",
    );
  });

  it("matches the path's last step, whole words only, and leaves other messages alone", () => {
    const scheme = fieldError(
      "CONTACT_IDENTIFIER_TAKEN",
      "identifiers.external_id",
      "external_id 'A' already belongs to contact 4",
    );
    expect(renameErrorField(scheme, "Ref").message).toBe("Ref 'A' already belongs to contact 4");
    const longer = fieldError("CONTACT_FIELD_INVALID", "email", "emailSecondary is not the field");
    expect(renameErrorField(longer, "Mail").message).toBe("emailSecondary is not the field");
    const other = fieldError("CONTACT_MATCH_KEY_MISSING", "email", "The input has no email to match on");
    expect(renameErrorField(other, "Mail")).toMatchObject({
      field: "Mail",
      message: "The input has no email to match on",
    });
    const none = fieldError("BATCH_ROLLED_BACK", undefined);
    expect(renameErrorField(none, "Mail")).toBe(none);
  });
});
