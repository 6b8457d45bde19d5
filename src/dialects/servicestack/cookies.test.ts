import { describe, expect, it } from "vitest";
import { readCookies, setCookie } from "./cookies.js";

describe("ServiceStack cookies", () => {
  it("reads name=value pairs and skips junk", () => {
    const cookies = readCookies(
      'ss-id=abc%2B1; 01 Jan 2037 00:00:00 GMT=null; garbage; =x; ss-pid="q"; ss-id=second',
    );
    expect(Object.fromEntries(cookies)).toEqual({
      "ss-id": "abc+1",
      "01 Jan 2037 00:00:00 GMT": "null",
      "ss-pid": "q",
    });
  });

  it("keeps a value that is not valid percent-encoding as sent", () => {
    expect(readCookies("ss-id=100%").get("ss-id")).toBe("100%");
  });

  it("writes lifetimes as Max-Age, never as a date with a comma", () => {
    expect(setCookie("ss-pid", "t", { maxAgeSeconds: 60, secure: true })).toBe(
      "ss-pid=t; Path=/; SameSite=Lax; Max-Age=60; HttpOnly; Secure",
    );
  });
});
