/** Characters that make a spreadsheet read a cell as a formula (CSV injection). */
const FORMULA_PREFIXES = ['=', '+', '-', '@', '\t', '\r'];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled.
 * A value a spreadsheet would run as a formula gets a leading `'`: user agents and details are
 * chosen by callers, and an administrator opens this file in Excel.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_PREFIXES.some((prefix) => text.startsWith(prefix))) text = `'${text}`;
  if (!/[",\r\n]/.test(text)) return text;

  return `"${text.replace(/"/g, '""')}"`;
}

/** One CSV record with its CRLF terminator. */
export function csvRow(values: (string | number | null | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
