/**
 * Plain-text tables for the command line. Every cell is escaped (shared/fields.ts `escapeControls`): a
 * name stored by a user must never reach an operator's terminal as escape sequences.
 */
import { escapeControls } from "../shared/fields.js";

export function formatTable(rows: Record<string, string>[]): string {
  const columns = Object.keys(rows[0] ?? {});
  const cells = rows.map((r) => columns.map((c) => escapeControls(r[c] ?? "")));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(columns), ...cells.map(line)].join("\n");
}

/** Text from mail or users, safe for a terminal: control characters (escape sequences) become "?". */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is replaced
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "?");
}
