import { type ByteSource, toBuffers } from "./records.js";

/**
 * The WHATWG name of an encoding label (`latin1`, `ISO-8859-1`, `cp1252` → `windows-1252`; `utf8` →
 * `utf-8`), or undefined for a label no decoder knows. Every reader takes UTF-8; a file in another
 * encoding is read through `transcodeToUtf8` when, and only when, its sender names the encoding: guessing
 * it would store mojibake whenever the guess is wrong (encoding.ts).
 */
export function encodingNamed(label: string): string | undefined {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return undefined;
  }
}

/** The bytes of `source`, decoded from `encoding` and given as UTF-8, a piece at a time. */
export async function* transcodeToUtf8(source: ByteSource, encoding: string): AsyncGenerator<Buffer> {
  // stream: a character split between two pieces is held until the next one.
  const decoder = new TextDecoder(encoding);
  for await (const piece of toBuffers(source)) {
    const text = decoder.decode(piece, { stream: true });
    if (text.length > 0) yield Buffer.from(text, "utf8");
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield Buffer.from(rest, "utf8");
}
