import { describe, expect, it } from "vitest";
import { ByteCounter } from "./read-upload-records.js";

async function* pieces(...sizes: number[]) {
  for (const size of sizes) yield Buffer.alloc(size, 0x61);
}

describe("ByteCounter", () => {
  it("counts a stored piece as its slices are pulled, not whole when it arrives", async () => {
    const counter = new ByteCounter();
    const reading = counter.count(pieces(1024 * 1024, 100));
    const first = await reading.next();
    expect(first.value?.length).toBe(64 * 1024);
    expect(counter.bytes).toBe(64 * 1024);
    let total = first.value?.length ?? 0;
    for await (const slice of reading) total += slice.length;
    expect(total).toBe(1024 * 1024 + 100);
    expect(counter.bytes).toBe(total);
  });
});
