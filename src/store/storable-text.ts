// PostgreSQL text holds neither U+0000 nor, in jsonb, its \u0000 escape; an unpaired surrogate is not
// UTF-8 at all. Texts Tributary writes about a file (a reader's message quoting the bad line, a column
// name) can carry them straight from the file: shown, not stored as they are, they must not fail the
// chunk that reports them.

/** The text with each NUL shown as ␀ (U+2400) and each unpaired surrogate as U+FFFD. */
export function storableText(text: string): string {
  const shown = text.includes("\u0000") ? text.replaceAll("\u0000", "\u2400") : text;
  return (shown as string & { toWellFormed(): string }).toWellFormed();
}
