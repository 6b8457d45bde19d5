import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { maybeGunzip } from "./gzip.js";

async function bytesOf(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const text = Buffer.from("name,city\nJosé,Zürich\n".repeat(1000));

describe("maybeGunzip", () => {
  it.each([1, 2, 1 << 16])("gunzips gzip bytes in %i-byte chunks", async (size) => {
    expect(await bytesOf(maybeGunzip(Readable.from(chunks(gzipSync(text), size))))).toEqual(text);
  });

  it.each([1, 1 << 16])("passes other bytes through in %i-byte chunks", async (size) => {
    expect(await bytesOf(maybeGunzip(chunks(text, size)))).toEqual(text);
  });

  it.each([[""], ["x"], ["\x1f"]])("passes short input %j through", async (input) => {
    expect((await bytesOf(maybeGunzip([input]))).toString("latin1")).toBe(input);
  });

  it("fails on a truncated archive", async () => {
    const archive = gzipSync(text);
    await expect(bytesOf(maybeGunzip([archive.subarray(0, archive.length - 10)]))).rejects.toThrow();
  });
});
