import { describe, expect, it } from "vitest";
import { isYearLastDate, readDateInFormat } from "./dates.js";

describe("readDateInFormat", () => {
  it("reads a spreadsheet's dates in the file's order, any of / . - between the parts", () => {
    expect(readDateInFormat("31/12/1990", "DAY_MONTH_YEAR")).toBe("1990-12-31");
    expect(readDateInFormat("3.2.1990", "DAY_MONTH_YEAR")).toBe("1990-02-03");
    expect(readDateInFormat("12/31/1990", "MONTH_DAY_YEAR")).toBe("1990-12-31");
    expect(readDateInFormat("2-3-1990", "MONTH_DAY_YEAR")).toBe("1990-02-03");
    expect(readDateInFormat(" 1990/12/31 ", "YEAR_MONTH_DAY")).toBe("1990-12-31");
    expect(readDateInFormat("1990-2-3", "DAY_MONTH_YEAR")).toBe("1990-02-03");
  });

  it("keeps a time, without a zone, as the field's own rules read it", () => {
    expect(readDateInFormat("31/12/1990 9:05", "DAY_MONTH_YEAR")).toBe("1990-12-31T09:05:00");
    expect(readDateInFormat("12/31/1990 23:59:58", "MONTH_DAY_YEAR")).toBe("1990-12-31T23:59:58");
    expect(readDateInFormat("1990/12/31T10:00:00.5", "YEAR_MONTH_DAY")).toBe("1990-12-31T10:00:00.5");
  });

  it("answers null for a day that does not exist, a two-digit year, a year-last date in year-first order, or other text", () => {
    for (const [text, format] of [
      ["31/02/1990", "DAY_MONTH_YEAR"],
      ["13/31/1990", "MONTH_DAY_YEAR"],
      ["31/12/90", "DAY_MONTH_YEAR"],
      ["31/12/1990", "YEAR_MONTH_DAY"],
      ["31/12/1990 24:00", "DAY_MONTH_YEAR"],
      ["1990-12-31T10:00:00Z", "YEAR_MONTH_DAY"],
      ["Dec 31 1990", "MONTH_DAY_YEAR"],
      ["", "DAY_MONTH_YEAR"],
    ] as const)
      expect(readDateInFormat(text, format), `${text} ${format}`).toBeNull();
  });

  it("tells a day-first or month-first date from the rest", () => {
    expect(isYearLastDate("31/12/1990")).toBe(true);
    expect(isYearLastDate("1990-12-31")).toBe(false);
    expect(isYearLastDate("31/12/90")).toBe(false);
  });
});
