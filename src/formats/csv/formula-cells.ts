// A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before one) as a formula. OWASP's
// advice against CSV injection is to write such a cell with a leading apostrophe, which a spreadsheet shows
// as text and does not store; reading undoes it, so a file Tributary wrote imports back as it was.
const FORMULA_START = /^[=+\-@\t\r]/;
const APOSTROPHE = 0x27;

/** The cell as a spreadsheet will show it but never run it: `'` before a formula's first character. */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** The cell `neutralizeFormula` was given: its leading `'` dropped when a formula's first character follows. */
export function restoreFormula(text: string): string {
  if (text.length < 2 || text.charCodeAt(0) !== APOSTROPHE) return text;
  const next = text.charCodeAt(1);
  // = + - @ tab CR
  return next === 0x3d || next === 0x2b || next === 0x2d || next === 0x40 || next === 0x09 || next === 0x0d
    ? text.slice(1)
    : text;
}
