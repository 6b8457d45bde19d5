import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../../core/errors.js";
import { parseJsv } from "../../formats/jsv/index.js";
import { serviceStackErrorHandler } from "./errors.js";

/** A bare server whose only route throws `error`, answered by the dialect's error handler. */
async function throwing(error: Error, debugMode: boolean) {
  const app = Fastify({ logger: false });
  app.setErrorHandler(serviceStackErrorHandler(debugMode));
  app.get("/boom", async () => {
    throw error;
  });
  await app.ready();
  return app;
}

describe("ServiceStack error handler", () => {
  it("answers an unexpected error 500 Exception, revealing nothing and no stackTrace outside debug mode", async () => {
    const app = await throwing(new Error("connection to db-7 with password hunter2 failed"), false);
    const res = await app.inject({ url: "/boom" });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      responseStatus: { errorCode: "Exception", message: "Internal error", errors: [] },
    });
    expect(res.body).not.toContain("hunter2");
    await app.close();
  });

  it("adds the stackTrace in debug mode only", async () => {
    const app = await throwing(new Error("kaboom"), true);
    const res = await app.inject({ url: "/boom" });
    expect(res.statusCode).toBe(500);
    expect(res.json().responseStatus).toMatchObject({ errorCode: "Exception", message: "Internal error" });
    expect(res.json().responseStatus.stackTrace).toEqual(expect.stringContaining("kaboom"));
    await app.close();
  });

  it("answers in the negotiated format, JSV included", async () => {
    const app = await throwing(new TributaryError("AUTH_FORBIDDEN"), false);
    const res = await app.inject({ url: "/boom", headers: { accept: "text/jsv" } });
    expect(res.statusCode).toBe(403);
    expect(res.headers["content-type"]).toBe("text/jsv; charset=utf-8");
    expect(res.body).toBe("{responseStatus:{errorCode:Forbidden,message:Invalid Role,errors:[]}}");
    expect(parseJsv(res.body)).toEqual({
      responseStatus: { errorCode: "Forbidden", message: "Invalid Role", errors: [] },
    });
    await app.close();
  });
});
