import type { FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { negotiate } from "./response-format.js";

const request = (url: string, accept?: string, query: Record<string, string> = {}) =>
  ({ url, headers: accept === undefined ? {} : { accept }, query }) as unknown as FastifyRequest;

describe("ServiceStack content negotiation", () => {
  it.each([
    {
      title: "nothing asked → JSON",
      url: "/DynamicsCRM/Contact/Upsert/Multiple",
      accept: undefined,
      query: {},
      format: "json",
    },
    { title: "*/* → JSON", url: "/x", accept: "*/*", query: {}, format: "json" },
    { title: "Accept text/jsv", url: "/x", accept: "text/jsv", query: {}, format: "jsv" },
    {
      title: "Accept application/jsv answers application/jsv",
      url: "/x",
      accept: "application/jsv",
      query: {},
      format: "jsv",
      type: "application/jsv; charset=utf-8",
    },
    {
      title: "Accept by quality",
      url: "/x",
      accept: "application/json;q=0.5, text/jsv",
      query: {},
      format: "jsv",
    },
    { title: "an unknown Accept → JSON", url: "/x", accept: "application/xml", query: {}, format: "json" },
    {
      title: "?format= beats Accept",
      url: "/x?format=jsv",
      accept: "application/json",
      query: { format: "jsv" },
      format: "jsv",
    },
    {
      title: "?Format=JSON, any case",
      url: "/x?Format=JSON",
      accept: "text/jsv",
      query: { Format: "JSON" },
      format: "json",
    },
    {
      title: "suffix beats ?format= and Accept",
      url: "/DynamicsCRM/Contact/Upsert/Multiple.jsv?format=json",
      accept: "application/json",
      query: { format: "json" },
      format: "jsv",
    },
    {
      title: ".JSON suffix in any case",
      url: "/DynamicsCRM/Contact/Upsert/Multiple.JSON",
      accept: "text/jsv",
      query: {},
      format: "json",
    },
    {
      title: "the /jsv/ route",
      url: "/jsv/reply/CRMContactUpsertMultipleRequest",
      accept: "application/json",
      query: {},
      format: "jsv",
    },
    {
      title: "the /json/ route",
      url: "/json/reply/CRMContactUpsertMultipleRequest?format=jsv",
      accept: "text/jsv",
      query: { format: "jsv" },
      format: "json",
    },
  ])("$title", ({ url, accept, query, format, type }) => {
    const chosen = negotiate(request(url, accept, query as Record<string, string>));
    expect(chosen.format).toBe(format);
    expect(chosen.contentType).toBe(
      type ?? (format === "jsv" ? "text/jsv; charset=utf-8" : "application/json; charset=utf-8"),
    );
  });
});
