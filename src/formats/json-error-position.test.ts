import { describe, expect, it } from "vitest";
import { findJsonErrorPosition } from "./json-error-position.js";

describe("findJsonErrorPosition", () => {
  it.each([
    { text: '{"a":1}', position: -1 },
    { text: '[1, 2, {"b": [true, false, null, "x\\u00e9"]}]', position: -1 },
    { text: '{"a":}', position: 5 },
    { text: '{"a":1,}', position: 7 },
    { text: '{"a" 1}', position: 5 },
    { text: "[1, 2", position: 5 },
    { text: '{"a":"x', position: 7 },
    { text: '{"a":01}', position: 6 },
    { text: "", position: 0 },
    { text: '{"a":1} x', position: 8 },
    { text: '{"a":"\\q"}', position: 7 },
  ])("$text → $position", ({ text, position }) => {
    expect(findJsonErrorPosition(text)).toBe(position);
    if (position >= 0) expect(() => JSON.parse(text)).toThrow();
  });

  it("answers -1, not a stack overflow, for nesting deeper than the stack", () => {
    expect(findJsonErrorPosition("[".repeat(1_000_000))).toBe(-1);
  });
});
