import { describe, expect, it } from "vitest";
import { stringifyJsv } from "./stringify.js";

describe("stringifyJsv", () => {
  it.each([
    [{ A: 1, B: 2, C: 3, D: 4 }, "{A:1,B:2,C:3,D:4}"],
    [[1, 2, 3, 4, 5], "[1,2,3,4,5]"],
    [{ Foo: "Bar", Greet: "Hello World!" }, "{Foo:Bar,Greet:Hello World!}"],
    [{ Name: "Me, Junior" }, '{Name:"Me, Junior"}'],
    [{ Size: '2" x 1"' }, '{Size:"2"" x 1"""}'],
    [
      { a: "x:y", b: "{", c: "}", d: "[", e: "]", f: "l\nf", g: "c\rr" },
      '{a:"x:y",b:"{",c:"}",d:"[",e:"]",f:"l\nf",g:"c\rr"}',
    ],
    [{ a: " padded " }, "{a: padded }"],
    [{ a: "" }, '{a:""}'],
    [{ a: null, b: undefined, c: 0, d: false }, "{c:0,d:False}"],
    [{ yes: true }, "{yes:True}"],
    [{}, "{}"],
    [[], "[]"],
    [[null, "a", undefined], "[,a,]"],
    [{ list: [], map: {} }, "{list:[],map:{}}"],
    [{ "a b": 1, "": 2, " edge": 3, "k:ey": 4 }, '{a b:1,"":2," edge":3,"k:ey":4}'],
    [{ n: -0, f: 0.1, e: 1e21, m: -2.5e-7 }, "{n:0,f:0.1,e:1e+21,m:-2.5e-7}"],
    [{ nested: [{ a: [1, [2]] }] }, "{nested:[{a:[1,[2]]}]}"],
    ["plain", "plain"],
    ["", '""'],
    [null, ""],
    [undefined, ""],
    [42, "42"],
  ])("%j → %s", (value, expected) => {
    expect(stringifyJsv(value)).toBe(expected);
  });

  it("writes a bigint's digits", () => {
    expect(stringifyJsv({ big: 12345678901234567890n })).toBe("{big:12345678901234567890}");
  });

  it.each([
    [new Date(Date.UTC(1979, 4, 9)), "1979-05-09"],
    [new Date(Date.UTC(1979, 4, 9, 0, 0, 1)), "1979-05-09T00:00:01Z"],
    [new Date(Date.UTC(1979, 4, 9, 0, 0, 0, 1)), "1979-05-09T00:00:00.001Z"],
    [new Date(Date.UTC(1979, 4, 9, 0, 0, 0, 100)), "1979-05-09T00:00:00.1Z"],
    [new Date(Date.UTC(1979, 4, 9, 8, 30, 15, 120)), "1979-05-09T08:30:15.12Z"],
    [new Date(Date.UTC(1979, 4, 9, 8, 30, 15, 999)), "1979-05-09T08:30:15.999Z"],
    [new Date(Date.UTC(1979, 4, 9, 13, 45, 0)), "1979-05-09T13:45:00Z"],
    [new Date("0001-01-01T00:00:00Z"), "0001-01-01"],
  ])("writes the Date %s unquoted in the shortest XSD form", (date, expected) => {
    expect(stringifyJsv({ d: date })).toBe(`{d:${expected}}`);
  });

  it("throws on values JSV cannot hold", () => {
    expect(() => stringifyJsv(Number.NaN)).toThrow(RangeError);
    expect(() => stringifyJsv({ a: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => stringifyJsv(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => stringifyJsv({ f: () => 1 })).toThrow(TypeError);
    expect(() => stringifyJsv(Symbol("s"))).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => stringifyJsv(cyclic)).toThrow(/circular/);
  });

  it("writes a value shared by two branches twice, since it is not a cycle", () => {
    const shared = { x: 1 };
    expect(stringifyJsv({ a: shared, b: [shared] })).toBe("{a:{x:1},b:[{x:1}]}");
  });
});
