/**
 * Recipient export: the owner's recipients as CSV, streamed a page at a time, with a header that the import
 * reads back. Cells a spreadsheet would run as formulas get a leading quote (the import takes it off).
 */
import { Readable } from "node:stream";
import type { Database } from "../db/database.js";
import type { Actor } from "../shared/actor.js";
import { escapeFormula } from "./import/columns.js";
import { RecipientsRepository } from "./recipients.repository.js";
import type { RecipientFilter } from "./recipients.schemas.js";

export interface ExportOptions {
  bom?: boolean;
  /** Only the recipients matching a filter (the recipients page's bulk export). */
  filter?: RecipientFilter;
  /** Only these ids (the ticked rows); others' ids are simply not found. */
  ids?: number[];
}

const PAGE = 1_000;
export const EXPORT_HEADER = ["email", "full_name", "comment"] as const;

/** One CSV cell: formula-escaped, and quoted when it holds a separator, a quote, a line break or edge spaces. */
export function csvCell(value: string): string {
  const cell = escapeFormula(value);
  return /[",;\r\n]|^\s|\s$/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

export const csvLine = (cells: readonly string[]) => `${cells.map(csvCell).join(",")}\r\n`;

export class RecipientExportService {
  private readonly recipients: RecipientsRepository;

  constructor(database: Database) {
    this.recipients = new RecipientsRepository(database.db);
  }

  /** The CSV as a Node stream (for an HTTP response or a file). */
  stream(actor: Actor, options: ExportOptions = {}): Readable {
    return Readable.from(this.csv(actor, options));
  }

  /** The actor's recipients as CSV text chunks (one per page). `bom` helps spreadsheets see UTF-8. */
  async *csv(actor: Actor, options: ExportOptions = {}): AsyncGenerator<string> {
    yield `${options.bom ? "\uFEFF" : ""}${csvLine(EXPORT_HEADER)}`;
    if (options.ids) {
      const ids = [...new Set(options.ids)].sort((a, b) => a - b);
      for (let i = 0; i < ids.length; i += PAGE) {
        const page = await this.recipients.byIds(actor, ids.slice(i, i + PAGE));
        yield page.map((r) => csvLine([r.email, r.full_name, r.comment])).join("");
      }
      return;
    }
    let afterId = 0;
    for (;;) {
      const page = await this.recipients.listAfter(actor, afterId, PAGE, options.filter);
      if (page.length === 0) return;
      yield page.map((r) => csvLine([r.email, r.full_name, r.comment])).join("");
      afterId = page.at(-1)!.id;
    }
  }
}
