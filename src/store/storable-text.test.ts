import { describe, expect, it } from "vitest";
import { storableText } from "./storable-text.js";

describe("storableText", () => {
  it("shows NUL as ␀ and an unpaired surrogate as U+FFFD, and leaves other text as it is", () => {
    expect(storableText("a\u0000b\u0000")).toBe("a\u2400b\u2400");
    expect(storableText("x\ud800y")).toBe("x\ufffdy");
    expect(storableText("José 😀")).toBe("José 😀");
  });
});
