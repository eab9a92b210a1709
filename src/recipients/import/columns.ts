/**
 * Which CSV column holds which recipient field, read from the header row, and the spreadsheet escaping of
 * cells that export.ts adds and an import takes off again.
 */

export type RecipientColumn = "email" | "full_name" | "comment";
export type ColumnMap = { email: number } & Partial<Record<Exclude<RecipientColumn, "email">, number>>;

// Header names compared without case, spaces, dashes, underscores and dots.
const NAMES: Record<string, RecipientColumn> = {
  email: "email",
  emails: "email",
  emailaddress: "email",
  mail: "email",
  fullname: "full_name",
  name: "full_name",
  recipient: "full_name",
  recipientname: "full_name",
  comment: "comment",
  comments: "comment",
  note: "comment",
  notes: "comment",
};

const squash = (name: string) => name.toLowerCase().replace(/[\s\-_.]/g, "");

/** The header's columns, or null when it names no email column. Extra columns are ignored; the first wins. */
export function mapColumns(header: string[]): ColumnMap | null {
  const found: Partial<Record<RecipientColumn, number>> = {};
  header.forEach((name, index) => {
    const column = NAMES[squash(name)];
    if (column && found[column] === undefined) found[column] = index;
  });
  return found.email === undefined ? null : (found as ColumnMap);
}

// Cells a spreadsheet would run as a formula. OWASP's list: = + - @, tab and carriage return.
const FORMULA_START = /^[=+\-@\t\r]/;

/** Quotes a cell that a spreadsheet would otherwise run as a formula. */
export function escapeFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Takes off the quote escapeFormula added, so an export imports back as it was. */
export function unescapeFormula(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}
