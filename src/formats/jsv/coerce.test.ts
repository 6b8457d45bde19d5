import { describe, expect, it } from "vitest";
import { isDotNetMinDate, jsvToBoolean, jsvToDate, jsvToNumber, parseJsv } from "./parse.js";

describe("jsvToBoolean", () => {
  it.each(["True", "true", "TRUE", " true ", "1", "t", "T", "y", "Y", "yes", "on", "ON", '"True"'])(
    "%j is true",
    (text) => expect(jsvToBoolean(text)).toBe(true),
  );
  it.each(["False", "false", "0", "f", "n", "no", "off", "OFF", '"0"'])("%j is false", (text) =>
    expect(jsvToBoolean(text)).toBe(false),
  );
  it.each(["", "2", "maybe", "truee"])("%j is neither", (text) => expect(jsvToBoolean(text)).toBeUndefined());
  it("is undefined for non-strings", () => {
    expect(jsvToBoolean(undefined)).toBeUndefined();
    expect(jsvToBoolean(["True"])).toBeUndefined();
  });
});

describe("jsvToNumber", () => {
  it.each([
    ["0", 0],
    [" 0", 0],
    ["-12.5", -12.5],
    ["+3", 3],
    [".5", 0.5],
    ["1e21", 1e21],
    ["1e+21", 1e21],
    ["2.5E-3", 0.0025],
    ['"42"', 42],
  ])("%j is %d", (text, expected) => expect(jsvToNumber(text)).toBe(expected));

  it("reads a number quoted in the JSV text", () => {
    expect(jsvToNumber((parseJsv('{Age:"42"}') as { Age: string }).Age)).toBe(42);
  });

  it.each(["", "abc", "0x10", "1,000", "NaN", "Infinity", "1e999", "1.2.3", "-"])(
    "%j is not a number",
    (text) => expect(jsvToNumber(text)).toBeUndefined(),
  );
});

const iso = (text: string) => jsvToDate(text)?.toISOString();

describe("jsvToDate", () => {
  it.each([
    ["1979-05-09", "1979-05-09T00:00:00.000Z"],
    ["1979-05-09T00:00:01Z", "1979-05-09T00:00:01.000Z"],
    ["1979-05-09T00:00:00.001Z", "1979-05-09T00:00:00.001Z"],
    ["2011-8-4", "2011-08-04T00:00:00.000Z"],
    ["20001213", "2000-12-13T00:00:00.000Z"],
    ["0001-01-01", "0001-01-01T00:00:00.000Z"],
    ["2025-01-22T22:12:56.0388671+11:00", "2025-01-22T11:12:56.038Z"],
    ["2025-01-22T22:12:56.0388671Z", "2025-01-22T22:12:56.038Z"],
    ["2025-01-22T22:12:56.9999999Z", "2025-01-22T22:12:56.999Z"],
    ["2025-01-22T22:12:56-0530", "2025-01-23T03:42:56.000Z"],
    ["2025-01-22 22:12:56", "2025-01-22T22:12:56.000Z"],
    ["2025-01-22T22:12", "2025-01-22T22:12:00.000Z"],
    ["2015/06/28", "2015-06-28T00:00:00.000Z"],
    ["\\/Date(1340796364524)\\/", "2012-06-27T11:26:04.524Z"],
    ["/Date(1340796364524)/", "2012-06-27T11:26:04.524Z"],
    ["/Date(1340796364524+1000)/", "2012-06-27T11:26:04.524Z"],
    ["\\/Date(-62135596800000-0000)\\/", "0001-01-01T00:00:00.000Z"],
    ["28/06/2015", "2015-06-28T00:00:00.000Z"],
    ["6/28/2015", "2015-06-28T00:00:00.000Z"],
    ["06/28/2015", "2015-06-28T00:00:00.000Z"],
    ["28/6/2015", "2015-06-28T00:00:00.000Z"],
    ["05/06/2015", "2015-06-05T00:00:00.000Z"],
    ["5/6/2015", "2015-05-06T00:00:00.000Z"],
    ["04-08-2011", "2011-08-04T00:00:00.000Z"],
    ["05/06/2015 10:30:00", "2015-05-06T10:30:00.000Z"],
    [' "1979-05-09" ', "1979-05-09T00:00:00.000Z"],
  ])("%j is %s", (text, expected) => expect(iso(text)).toBe(expected));

  it.each(["", "String", "2015-13-01", "2015-02-30", "2015-01-01T24:00:00Z", "13/13/2015", "2015", "1/2/15"])(
    "%j is not a date",
    (text) => expect(jsvToDate(text)).toBeUndefined(),
  );
});

describe("isDotNetMinDate", () => {
  it("spots DateTime.MinValue, also written with a UTC offset", () => {
    expect(isDotNetMinDate(jsvToDate("0001-01-01") as Date)).toBe(true);
    expect(isDotNetMinDate(jsvToDate("0001-01-01T00:00:00.0000000+10:00") as Date)).toBe(true);
    expect(isDotNetMinDate(jsvToDate("0001-01-02") as Date)).toBe(false);
    expect(isDotNetMinDate(new Date(0))).toBe(false);
  });
});
