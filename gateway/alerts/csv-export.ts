/**
 * CSV files people open in a spreadsheet. A text cell that starts with = + - @ (or tab / CR) would
 * be evaluated as a formula when opened (OWASP, CSV injection): it is written with a leading `'`, as
 * the billing import keeps such cells (gateway/billing/billed-row-parser.ts). Cells are quoted per
 * RFC 4180 when they hold a comma, quote or line break; rows end with CRLF. The file starts with a
 * UTF-8 byte-order mark, without which Excel reads Chinese text in the machine's ANSI code page.
 */
export type CsvValue = string | number | boolean | null;

export const FORMULA_LEAD = /^[=+\-@\t\r]/;

export function csvCell(value: CsvValue): string {
  if (value === null) return "";
  // Numbers and booleans cannot carry a formula; only text is neutralised.
  const text = typeof value === "string" && FORMULA_LEAD.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvDocument(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return `\uFEFF${[header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n")}\r\n`;
}
