import { describe, expect, it } from "vitest";
import { type ErrorCode, errorCatalog } from "../../core/errors.js";
import { samErrorBody, samExceptionFor, samStatus } from "./errors.js";

describe("SAM errors", () => {
  it.each(Object.keys(errorCatalog) as ErrorCode[])(
    "%s renders as a SAM exception that is never a 5xx unless internal",
    (code) => {
      const exception = samExceptionFor(code);
      expect(samStatus(exception) >= 500).toBe(code === "INTERNAL");
    },
  );

  it("writes errorCode as a float, as the vendor's service does", () => {
    expect(samErrorBody("WSInvalidAuthTokenException")).toBe(
      '{"exception":"WSInvalidAuthTokenException","errorCode":1006.0,"message":"Invalid or expired authentication token."}',
    );
    const body = samErrorBody("WSInvalidParameterException", "m", [
      { record: 1, field: "email1", message: "bad" },
    ]);
    expect(JSON.parse(body)).toEqual({
      exception: "WSInvalidParameterException",
      errorCode: 1002,
      message: "m",
      errors: [{ record: 1, field: "email1", message: "bad" }],
    });
  });

  const table: Array<[ErrorCode, string, number]> = [
    ["AUTH_CREDENTIALS_MISSING", "WSNoUsernameOrPasswordException", 400],
    ["REQUEST_BODY_INVALID", "WSInvalidParameterException", 400],
    ["AUTH_FORBIDDEN", "WSInsufficientPermissionsException", 401],
    ["AUTH_ACCOUNT_LOCKED", "WSAccountLockedException", 401],
    ["AUTH_LOGIN_FAILED", "WSAuthenticationFailedException", 401],
    ["AUTH_INVALID", "WSInvalidAuthTokenException", 401],
    ["AUTH_MISSING", "WSInvalidAuthTokenException", 401],
  ];
  it.each(table)("%s → %s (%i)", (code, exception, status) => {
    expect(samExceptionFor(code)).toBe(exception);
    expect(samStatus(samExceptionFor(code))).toBe(status);
  });
});
