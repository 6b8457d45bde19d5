import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorCatalog } from "./errors.js";

describe("error registry", () => {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  it.each(Object.keys(errorCatalog))("%s is documented in docs/errors.md", (code) => {
    expect(doc).toContain(`\`${code}\``);
  });
});
