import { describe, expect, it } from "vitest";
import { Utf8Validator } from "../../test/helpers/csv-parse-oracle.js";
import { assertNotUtf16, FileEncodingError } from "./encoding.js";

function invalidOffsets(bytes: number[], chunkSize: number): number[] {
  const validator = new Utf8Validator();
  const buf = Buffer.from(bytes);
  for (let i = 0; i < buf.length; i += chunkSize) validator.push(buf.subarray(i, i + chunkSize));
  validator.end();
  const found: number[] = [];
  for (let end = 1; end <= buf.length; end++) {
    const at = validator.takeInvalidBefore(end);
    if (at >= 0) found.push(at);
  }
  return found;
}

const euro = [0xe2, 0x82, 0xac];
const emoji = [0xf0, 0x9f, 0x98, 0x80];

describe("Utf8Validator", () => {
  it.each([
    ["ASCII", [0x61, 0x62], []],
    ["multi-byte characters", [0x61, ...euro, ...emoji, 0xc3, 0xa9], []],
    ["a Latin-1 é", [0x4a, 0x6f, 0x73, 0xe9, 0x0a], [3]],
    ["two Latin-1 bytes", [0xe9, 0x61, 0xfc], [0, 2]],
    ["an overlong NUL", [0xc0, 0x80], [0, 1]],
    ["a UTF-16 surrogate", [0xed, 0xa0, 0x80], [0, 1, 2]],
    ["a code point past U+10FFFF", [0xf4, 0x90, 0x80, 0x80], [0, 1, 2, 3]],
    ["a character cut off by the end", [0x61, 0xe2, 0x82], [1]],
    ["a lone continuation byte", [0x61, 0x80, 0x62], [1]],
  ])("finds %s", (_name, bytes, expected) => {
    for (let size = 1; size <= bytes.length; size++) expect(invalidOffsets(bytes, size)).toEqual(expected);
  });

  it("forgets offsets below each record end", () => {
    const validator = new Utf8Validator();
    validator.push(Buffer.from([0x61, 0xe9, 0x0a, 0x62, 0xe9, 0x0a]));
    validator.end();
    expect(validator.takeInvalidBefore(3)).toBe(1);
    expect(validator.takeInvalidBefore(3)).toBe(-1);
    expect(validator.takeInvalidBefore(6)).toBe(4);
  });

  it.each([[[0xff, 0xfe, 0x61, 0x00]], [[0xfe, 0xff, 0x00, 0x61]]])(
    "refuses a UTF-16 byte-order mark %j",
    (bytes) => {
      expect(() => assertNotUtf16(Buffer.from(bytes))).toThrow(FileEncodingError);
      expect(() => new Utf8Validator().push(Buffer.from(bytes))).toThrow(FileEncodingError);
    },
  );

  it("accepts a UTF-8 byte-order mark", () => {
    expect(() => assertNotUtf16(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).not.toThrow();
  });
});
