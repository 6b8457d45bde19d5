import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { contactFields } from "./contact-fields.js";

const camel = (column: string) => column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe("contact fields", () => {
  it.each(contactFields.map((f) => [f.name, f.column]))(
    "%s is the camelCase of its column %s (Kysely's CamelCasePlugin relies on it)",
    (name, column) => {
      expect(camel(column)).toBe(name);
    },
  );

  it("names are unique", () => {
    expect(new Set(contactFields.map((f) => f.name)).size).toBe(contactFields.length);
  });

  it("every field is in docs/model.md", () => {
    const doc = readFileSync(new URL("../../docs/model.md", import.meta.url), "utf8");
    for (const f of contactFields) expect(doc).toContain(`| \`${f.name}\` | \`${f.column}\``);
  });

  it("references name their kind and texts their limit", () => {
    for (const f of contactFields) {
      if (f.type === "reference") expect(f.reference).toBeDefined();
      if (f.type === "text") expect(f.maxLength).toBeGreaterThan(0);
    }
  });
});
