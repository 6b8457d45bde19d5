import { describe, expect, it } from "vitest";
import { getJsvField, JsvSyntaxError, parseJsv } from "./parse.js";

describe("parseJsv: vectors", () => {
  it.each([
    ["{A:1,B:2,C:3,D:4}", { A: "1", B: "2", C: "3", D: "4" }],
    ["[1,2,3,4,5]", ["1", "2", "3", "4", "5"]],
    ["{Foo:Bar,Greet:Hello World!}", { Foo: "Bar", Greet: "Hello World!" }],
    ['{Name:"Me, Junior"}', { Name: "Me, Junior" }],
    ['{Size:"2"" x 1"""}', { Size: '2" x 1"' }],
    ["{}", {}],
    ["[]", []],
    ['[""]', [""]],
    ['""', ""],
    ["Hello", "Hello"],
    ["Hello,World", ["Hello", "World"]],
    ['"a,b",c', ["a,b", "c"]],
    ["{a:[1,{b:c}],d:{}}", { a: ["1", { b: "c" }], d: {} }],
    ["[[],[a],{}]", [[], ["a"], {}]],
    ['{"quoted key":1,"a:b":2}', { "quoted key": "1", "a:b": "2" }],
    ["{ Name :x}", { Name: "x" }],
    ["{a:1,}", { a: "1" }],
    ["[a,]", ["a", ""]],
    ["[a,,b]", ["a", "", "b"]],
    ["{a:x]y}", { a: "x]y" }],
    ["[x}y]", ["x}y"]],
    ["{a:b,a:c}", { a: "c" }],
    ['{a:"line\r\nbreak"}', { a: "line\r\nbreak" }],
    ["\ufeff{a:1}", { a: "1" }],
    ["{a:1}\n", { a: "1" }],
    ["null", "null"],
  ])("%j", (text, expected) => {
    expect(parseJsv(text)).toEqual(expected);
  });

  it("reads empty text as null", () => {
    expect(parseJsv("")).toBeNull();
    expect(parseJsv("\r\n")).toBeNull();
  });
});

describe("parseJsv: lenient where the writer is strict", () => {
  it("reads ServiceStack's lenient example: doubled quote, bare colon, quoted comma", () => {
    expect(parseJsv('{One:"""1st",Two:2:nd,Three:"3r,d"}')).toEqual({
      One: '"1st',
      Two: "2:nd",
      Three: "3r,d",
    });
  });

  it("reads an empty value as the empty string", () => {
    expect(parseJsv("{Salutation:,Name:Bob}")).toEqual({ Salutation: "", Name: "Bob" });
    expect(parseJsv("{Salutation:}")).toEqual({ Salutation: "" });
  });

  it("trims keys but keeps the spaces of compact unquoted values, which are significant in JSV", () => {
    expect(parseJsv("{ a : x , b: y }")).toEqual({ a: " x ", b: " y " });
    expect(parseJsv("[ A ]")).toEqual([" A "]);
    expect(parseJsv("[ ]")).toEqual([" "]);
  });

  it("skips whitespace before a map, list or quoted value, and after it", () => {
    expect(parseJsv('{a: {b:c} ,d:\t[e] ,f: "g" }')).toEqual({ a: { b: "c" }, d: ["e"], f: "g" });
    expect(parseJsv('[ "x" , {y:z} ]')).toEqual(["x", { y: "z" }]);
    expect(parseJsv("  \t{a:1}  ")).toEqual({ a: "1" });
  });

  it("trims every unquoted value inside a container whose opener ends its line (pretty-printed)", () => {
    const pretty =
      '{\n  name: Bob ,\n  tags: [\n    a,\n    b c \n  ],\n  inner: {x: 1 },\n  note: " kept "\n}';
    expect(parseJsv(pretty)).toEqual({ name: "Bob", tags: ["a", "b c"], inner: { x: "1" }, note: " kept " });
    expect(parseJsv("{  \r\n\ta: 1\r\n}")).toEqual({ a: "1" });
    expect(parseJsv("[\n]")).toEqual([]);
    expect(parseJsv("{\n\t\n}")).toEqual({});
  });

  it("matches keys case-insensitively through getJsvField, exact match first", () => {
    const map = parseJsv("{First_Name:Ann,first_name:Bea,Email:a@b.c}");
    expect(getJsvField(map, "first_name")).toBe("Bea");
    expect(getJsvField(map, "FIRST_NAME")).toBe("Ann");
    expect(getJsvField(map, "email")).toBe("a@b.c");
    expect(getJsvField(map, "missing")).toBeUndefined();
    expect(getJsvField(map, "toString")).toBeUndefined();
    expect(getJsvField("text", "a")).toBeUndefined();
    expect(getJsvField(["a"], "0")).toBeUndefined();
  });
});

describe("parseJsv: prototype safety", () => {
  it.each([
    "{__proto__:{polluted:yes}}",
    "{a:1,__proto__:{polluted:yes}}",
    '{"__proto__":{polluted:yes},constructor:{prototype:{polluted:yes}}}',
  ])("keeps %j as own data and pollutes nothing", (text) => {
    const map = parseJsv(text) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.hasOwn(map, "__proto__")).toBe(true);
    expect(getJsvField(map, "__proto__")).toEqual({ polluted: "yes" });
  });

  it("keeps __proto__ an own key when sibling maps repeat it (the compiled-builder path)", () => {
    const list = parseJsv("[{__proto__:{p:1},b:2},{__proto__:{p:3},b:4},{__proto__:{p:5},b:6}]") as object[];
    for (const map of list) {
      expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
      expect(Object.keys(map)).toEqual(["__proto__", "b"]);
    }
    expect(getJsvField(list[2], "__proto__")).toEqual({ p: "5" });
  });

  it("builds maps right when siblings change shape", () => {
    const text = "[{a:1,b:2},{a:3,b:4},{a:5},{a:6,b:7,c:8},{b:9,a:10},{a:11,b:12},{A:13,b:14}]";
    expect(parseJsv(text)).toEqual([
      { a: "1", b: "2" },
      { a: "3", b: "4" },
      { a: "5" },
      { a: "6", b: "7", c: "8" },
      { b: "9", a: "10" },
      { a: "11", b: "12" },
      { A: "13", b: "14" },
    ]);
  });

  it("reads a quoted key as quoted even when it spells the key its sibling had", () => {
    expect(parseJsv('[{"""""":1},{"":2},{"""""":3}]')).toEqual([{ '""': "1" }, { "": "2" }, { '""': "3" }]);
  });

  it("reads an unquoted key by its own text even when its sibling had a quoted key spelt like it", () => {
    expect(parseJsv('[{"a:b":1},{a:b:2}]')).toEqual([{ "a:b": "1" }, { a: "b:2" }]);
    expect(parseJsv('[{"x ":1},{x :2}]')).toEqual([{ "x ": "1" }, { x: "2" }]);
    expect(parseJsv('[{"\u00a0x":1},{\u00a0x:2}]')).toEqual([{ "\u00a0x": "1" }, { x: "2" }]);
  });

  it("tells apart shapes whose keys join the same way", () => {
    expect(parseJsv('[[{}],{"":x},[{}],{"":y}]')).toEqual([[{}], { "": "x" }, [{}], { "": "y" }]);
    const text = '[{"a\u0000":1,b:2},{"a\u0000":3,b:4},[{a:5,"\u0000b":6},{a:7,"\u0000b":8}]]';
    expect(parseJsv(text)).toEqual([
      { "a\u0000": "1", b: "2" },
      { "a\u0000": "3", b: "4" },
      [
        { a: "5", "\u0000b": "6" },
        { a: "7", "\u0000b": "8" },
      ],
    ]);
  });
});

describe("parseJsv: malformed input", () => {
  it.each([
    ["{a:1", "unclosed '{'", 0],
    ["{a:{b:1}", "unclosed '{'", 0],
    ["[1,2", "unclosed '['", 0],
    ["{a:[1,2}", "unclosed '['", 3],
    ['{a:"x}', "unclosed quote", 3],
    ['"abc', "unclosed quote", 0],
    ['{a:"""}', "unclosed quote", 3],
    ["{a}", "map key without ':'", 2],
    ["{a,b:1}", "map key without ':'", 2],
    ["{", "unclosed '{'", 0],
    ["{a:1}}", "unexpected", 5],
    ['{a:"x"y}', "unexpected", 6],
    ["[{a:1}x]", "unexpected", 6],
    ['{"k"x:1}', "unexpected", 4],
  ])("%j throws JsvSyntaxError (%s at %i)", (text, message, position) => {
    let error: unknown;
    try {
      parseJsv(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JsvSyntaxError);
    expect(error).toBeInstanceOf(SyntaxError);
    expect((error as JsvSyntaxError).message).toContain(message);
    expect((error as JsvSyntaxError).position).toBe(position);
  });

  it("rejects hostile nesting with an error, not a stack overflow", () => {
    expect(() => parseJsv("[".repeat(100_000))).toThrow(JsvSyntaxError);
    expect(() => parseJsv("{a:".repeat(100_000))).toThrow(JsvSyntaxError);
    expect(parseJsv(`${"[".repeat(400)}x${"]".repeat(400)}`)).toBeInstanceOf(Array);
  });

  it("finishes quickly on large malformed input", () => {
    const started = performance.now();
    expect(() => parseJsv(`{a:"${"x".repeat(1_000_000)}`)).toThrow(JsvSyntaxError);
    expect(() => parseJsv(`[${"a,".repeat(200_000)}`)).toThrow(JsvSyntaxError);
    expect(() => parseJsv(`{${"k".repeat(1_000_000)}`)).toThrow(JsvSyntaxError);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
