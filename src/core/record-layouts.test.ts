import { describe, expect, it } from "vitest";
import { compilePlainConstructor, LayoutCache, thisProperty } from "./record-layouts.js";

describe("LayoutCache", () => {
  const compiledLayouts: string[][] = [];
  const cache = () =>
    new LayoutCache((keys) => {
      compiledLayouts.push([...keys]);
      return keys.includes("refuse") ? null : (r: Record<string, unknown>) => Object.keys(r).join("+");
    });

  it("compiles a layout once it repeats, and then answers the compiled function for it", () => {
    compiledLayouts.length = 0;
    const layouts = cache();
    const answers = Array.from({ length: 20 }, () => layouts.compiledFor({ a: 1, b: 2 }));
    expect(answers.slice(0, 15)).toEqual(Array(15).fill(null));
    expect(answers.slice(15).every((f) => typeof f === "function")).toBe(true);
    expect(compiledLayouts).toEqual([["a", "b"]]);
  });

  it("tells layouts apart by key order and key count, and keeps interleaved layouts compiled", () => {
    compiledLayouts.length = 0;
    const layouts = cache();
    for (let i = 0; i < 20; i++) {
      layouts.compiledFor({ a: 1, b: 2 });
      layouts.compiledFor({ b: 2, a: 1 });
      layouts.compiledFor({ a: 1 });
    }
    expect(compiledLayouts).toEqual([["a", "b"], ["b", "a"], ["a"]]);
    expect(layouts.compiledFor({ b: 0, a: 0 })?.({ b: 0, a: 0 })).toBe("b+a");
    expect(layouts.compiledFor({ a: 0, b: 0, c: 0 })).toBeNull();
  });

  it("answers null, without compiling again, for a layout its compiler refuses", () => {
    compiledLayouts.length = 0;
    const layouts = cache();
    for (let i = 0; i < 40; i++) expect(layouts.compiledFor({ refuse: 1 })).toBeNull();
    expect(compiledLayouts).toEqual([["refuse"]]);
  });
});

describe("compilePlainConstructor", () => {
  it("builds plain objects, storing names that are no identifiers by their JSON spelling", () => {
    const names = ["givenName", "a-b", 'say "hi"', "line\u2028two"];
    const Row = compilePlainConstructor<Record<string, unknown>, [Record<string, unknown>]>(
      ["r"],
      names.map((n) => `${thisProperty(n)} = twice(r[${JSON.stringify(n)}]);`),
      { twice: (v: unknown) => `${v}${v}` },
    );
    const row = new Row({ givenName: "A", "a-b": "B", 'say "hi"': "C", "line\u2028two": "D" });
    expect(row).toStrictEqual({ givenName: "AA", "a-b": "BB", 'say "hi"': "CC", "line\u2028two": "DD" });
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row)).toEqual(names);
  });
});
