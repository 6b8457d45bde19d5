import { describe, expect, it } from "vitest";
import { encodingNamed, transcodeToUtf8 } from "./transcode.js";

async function text(pieces: Buffer[], encoding: string): Promise<string> {
  const out: Buffer[] = [];
  for await (const piece of transcodeToUtf8(pieces, encoding)) out.push(piece);
  return Buffer.concat(out).toString("utf8");
}

describe("transcodeToUtf8", () => {
  it("names encodings as WHATWG does, and knows no made-up one", () => {
    expect(encodingNamed("latin1")).toBe("windows-1252");
    expect(encodingNamed("ISO-8859-1")).toBe("windows-1252");
    expect(encodingNamed("cp1252")).toBe("windows-1252");
    expect(encodingNamed(" UTF8 ")).toBe("utf-8");
    expect(encodingNamed("utf-16le")).toBe("utf-16le");
    expect(encodingNamed("klingon")).toBeUndefined();
  });

  it("turns Windows-1252 bytes into UTF-8, € and curly quotes included", async () => {
    const bytes = Buffer.from([
      0x5a, 0x6f, 0xeb, 0x2c, 0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x2c, 0x80, 0x93, 0x94,
    ]);
    await expect(text([bytes], "windows-1252")).resolves.toBe("Zoë,Müller,€“”");
  });

  it("keeps a character split between two pieces whole", async () => {
    const utf16 = Buffer.from("name\nZoë ☃\n", "utf16le");
    const pieces = [utf16.subarray(0, 7), utf16.subarray(7, 13), utf16.subarray(13)];
    expect(await text(pieces, "utf-16le")).toBe("name\nZoë ☃\n");
  });
});
