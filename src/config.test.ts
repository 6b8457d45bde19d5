import { describe, expect, it } from "vitest";
import { readConfig } from "./config.js";

describe("readConfig", () => {
  it("has the README's defaults", () => {
    expect(readConfig({})).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      databaseUrl: undefined,
      bodyLimit: 10 * 1024 * 1024,
      serviceStackBodyLimit: 64 * 1024 * 1024,
      samSessionIdleSeconds: 1800,
      preparedStatements: true,
    });
  });

  it("turns prepared statements off with 'off' and refuses any other word", () => {
    expect(readConfig({ TRIBUTARY_PREPARED_STATEMENTS: "off" }).preparedStatements).toBe(false);
    expect(readConfig({ TRIBUTARY_PREPARED_STATEMENTS: "on" }).preparedStatements).toBe(true);
    expect(() => readConfig({ TRIBUTARY_PREPARED_STATEMENTS: "no" })).toThrow(
      /TRIBUTARY_PREPARED_STATEMENTS must be 'on' or 'off'/,
    );
  });

  it("reads numbers from the environment and refuses what is no number", () => {
    expect(readConfig({ PORT: "9090", TRIBUTARY_SAM_SESSION_SECONDS: "60" })).toMatchObject({
      port: 9090,
      samSessionIdleSeconds: 60,
    });
    expect(() => readConfig({ TRIBUTARY_BODY_LIMIT: "lots" })).toThrow(/TRIBUTARY_BODY_LIMIT/);
  });

  it.each(["90.5", "0", "99999999999"])("refuses a SAM session lifetime of %s seconds", (value) => {
    expect(() => readConfig({ TRIBUTARY_SAM_SESSION_SECONDS: value })).toThrow(
      /TRIBUTARY_SAM_SESSION_SECONDS must be a whole number/,
    );
  });
});
