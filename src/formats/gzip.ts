import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { type ByteSource, toBuffers } from "./records.js";

/**
 * The bytes of `source`, gunzipped when they start with the gzip magic number (1f 8b) and as they are
 * otherwise, so an upload may be compressed or not whatever its name says.
 */
export function maybeGunzip(source: ByteSource): Readable {
  return Readable.from(sniffAndGunzip(toBuffers(source)), { objectMode: false });
}

async function* sniffAndGunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    pipeline(Readable.from(rest()), gunzip, () => {
      // A corrupt or truncated archive fails the loop below through gunzip, which pipeline destroys.
    });
    yield* gunzip;
  } else {
    yield* rest();
  }
}
