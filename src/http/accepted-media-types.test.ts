import { describe, expect, it } from "vitest";
import { acceptedMediaTypes } from "./accepted-media-types.js";

describe("acceptedMediaTypes", () => {
  it("orders by q, then by the header's order, and leaves out what q=0 refuses", () => {
    expect(acceptedMediaTypes("text/csv;q=0.5, Application/X-NDJSON, */*;q=0.1, text/jsv;q=0")).toEqual([
      "application/x-ndjson",
      "text/csv",
      "*/*",
    ]);
    expect(acceptedMediaTypes("text/csv, application/x-ndjson")).toEqual([
      "text/csv",
      "application/x-ndjson",
    ]);
  });

  it("asks for nothing without a header, or with an empty one", () => {
    expect(acceptedMediaTypes(undefined)).toEqual([]);
    expect(acceptedMediaTypes("")).toEqual([]);
    expect(acceptedMediaTypes(" , ")).toEqual([]);
  });
});
