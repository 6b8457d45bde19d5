/**
 * Each item's line, joined into strings of about 64 KiB (after `first`, a header): a million-row file is
 * then a few hundred writes to a socket or a file, not a million.
 */
export async function* joinedLines<T>(
  items: AsyncIterable<T>,
  line: (item: T) => string,
  first = "",
): AsyncGenerator<string> {
  let text = first;
  for await (const item of items) {
    text += line(item);
    if (text.length >= 64 * 1024) {
      yield text;
      text = "";
    }
  }
  if (text.length > 0) yield text;
}
