import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { contactFieldsByName } from "../src/core/contact-fields.js";
import { flatRowFields } from "../src/dialects/hobsons/group-flat-rows.js";
import { contactDtoFields } from "../src/dialects/hobsons/wire-schemas.js";
import { contactJsonFields } from "../src/dialects/sam/mapping.js";
import { contactCreateRequestFields } from "../src/dialects/servicestack/wire-schemas.js";
import { pageSampleBody, preprocessSampleBody } from "./helpers/hobsons-fixtures.js";

// docs/model.md has one table per seed page: every wire field the dialect accepts, with the page's type,
// its limits, the canonical field it lands in and whether it is read-only or derived.
const doc = readFileSync(new URL("../docs/model.md", import.meta.url), "utf8");

function pageRows(page: string): Map<string, string[]> {
  const start = doc.indexOf(`## Page ${page}:`);
  expect(start, `docs/model.md has a "## Page ${page}:" section`).toBeGreaterThan(-1);
  const end = doc.indexOf("\n## ", start + 1);
  const section = doc.slice(start, end === -1 ? undefined : end);
  const rows = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const m = /^\| `([^`]+)` \|(.*)\|$/.exec(line);
    if (m)
      rows.set(
        m[1],
        m[2].split(" | ").map((cell) => cell.trim()),
      );
  }
  return rows;
}

const pages = [
  { page: "000", wire: ["contacts", ...Object.keys(contactCreateRequestFields)] },
  { page: "001", wire: contactDtoFields.map((f) => f.name) },
  { page: "002", wire: flatRowFields },
  { page: "003", wire: contactJsonFields },
];

describe("docs/model.md maps every seed field", () => {
  it.each(pages)(
    "page $page: each wire field has type, limits, canonical field and flags",
    ({ page, wire }) => {
      const rows = pageRows(page);
      const missing = wire.filter((name) => !rows.has(name));
      expect(missing).toEqual([]);
      for (const name of wire) {
        const cells = rows.get(name) as string[];
        expect(cells, `${page} ${name}`).toHaveLength(4);
        for (const cell of cells) expect(cell, `${page} ${name}`).not.toBe("");
        // A canonical field named first must be one the model has (catches typos and renamed fields).
        const canonical = /^`([a-z][A-Za-z0-9]*)`/.exec(cells[2])?.[1];
        if (
          canonical &&
          !["id", "createdAt", "modifiedAt", "tags", "consents", "notes", "tasks", "activities"].includes(
            canonical,
          )
        )
          expect(contactFieldsByName.has(canonical), `${page} ${name} → ${canonical}`).toBe(true);
      }
    },
  );

  it("page 001: read-only fields are flagged as read-only", () => {
    const rows = pageRows("001");
    for (const f of contactDtoFields.filter((d) => d.readOnly))
      expect(rows.get(f.name)?.[3]).toMatch(/read-only/);
  });

  it("the pages' own samples name no field the dialects do not know", () => {
    const sampleKeys = (body: string) => Object.keys(JSON.parse(body)[0]);
    expect(sampleKeys(pageSampleBody).filter((k) => !contactDtoFields.some((f) => f.name === k))).toEqual([]);
    expect(sampleKeys(preprocessSampleBody).filter((k) => !flatRowFields.includes(k))).toEqual([]);
  });

  // The seed pages live beside the checkout (../shared/seeds); when they are there, compare with them too.
  const seeds = new URL("../../shared/seeds/", import.meta.url);
  it.skipIf(!existsSync(seeds))("every field of the four seed pages is in the dialects' field lists", () => {
    const read = (name: string) => readFileSync(new URL(name, seeds), "utf8");
    const servicestack = [...read("000_4617496e96c8f02c.txt").matchAll(/^\| (\w+) \| form \|/gm)].map(
      (m) => m[1],
    );
    // The page's `email` row lost its name; the sample body shows it.
    expect([...servicestack, "email"].sort()).toEqual(Object.keys(contactCreateRequestFields).sort());
    const firstArray = (text: string) => {
      const start = text.indexOf("[");
      let depth = 0;
      for (let i = start; i < text.length; i++) {
        if (text[i] === "[") depth++;
        if (text[i] === "]" && --depth === 0) return JSON.parse(text.slice(start, i + 1))[0] as object;
      }
      throw new Error("no JSON array");
    };
    const sam = read("003_6014cd4f17b993ee.txt");
    expect(Object.keys(firstArray(sam.slice(sam.indexOf("json\n")))).sort()).toEqual(
      [...contactJsonFields].sort(),
    );
    const bulk = read("001_1986b170764e22a9.txt");
    expect(Object.keys(firstArray(bulk.slice(bulk.indexOf("Request Formats")))).sort()).toEqual(
      contactDtoFields.map((f) => f.name).sort(),
    );
    const flat = read("002_bcea6d9dcd098197.txt");
    expect(Object.keys(firstArray(flat.slice(flat.indexOf("Request Formats")))).sort()).toEqual(
      [...flatRowFields].sort(),
    );
  });
});
