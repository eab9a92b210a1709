/**
 * Recipient export: the owner's recipients as CSV (with a header that the import reads back) or JSON lines,
 * streamed a page at a time. Cells a spreadsheet would run as formulas get a leading quote (the import takes it off).
 */
import { Readable } from "node:stream";
import { CustomFieldsRepository } from "../custom-fields/custom-fields.repository.js";
import { valuesFor } from "../custom-fields/custom-fields.service.js";
import type { Database } from "../db/database.js";
import type { Recipient } from "../db/schema.js";
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

  constructor(private readonly database: Database) {
    this.recipients = new RecipientsRepository(database.db);
  }

  /** The CSV as a Node stream (for an HTTP response or a file). */
  stream(actor: Actor, options: ExportOptions = {}): Readable {
    return Readable.from(this.csv(actor, options));
  }

  /** The actor's recipients as CSV text chunks (one per page). `bom` helps spreadsheets see UTF-8. */
  async *csv(actor: Actor, options: ExportOptions = {}): AsyncGenerator<string> {
    // Custom fields follow, one column per key (the import reads them back by the same names).
    const fields = await new CustomFieldsRepository(this.database.db).all(actor);
    yield `${options.bom ? "\uFEFF" : ""}${csvLine([...EXPORT_HEADER, ...fields.map((f) => f.key)])}`;
    for await (const { page, values } of this.pages(actor, options, fields.length > 0)) {
      yield page
        .map((r) => {
          const v = values?.get(r.id) ?? {};
          const cells = fields.map((f) => {
            const value = v[f.key];
            return value === undefined
              ? ""
              : typeof value === "boolean"
                ? value
                  ? "yes"
                  : "no"
                : String(value);
          });
          return csvLine([r.email, r.full_name, r.comment, ...cells]);
        })
        .join("");
    }
  }

  /**
   * The actor's recipients as JSON lines (application/x-ndjson), one object per line with the API's
   * recipient fields and `fields` (custom field values by key), a page at a time.
   */
  async *ndjson(actor: Actor, options: ExportOptions = {}): AsyncGenerator<string> {
    const hasFields = (await new CustomFieldsRepository(this.database.db).all(actor)).length > 0;
    for await (const { page, values } of this.pages(actor, options, hasFields)) {
      yield page
        .map(
          (r) =>
            `${JSON.stringify({
              id: r.id,
              email: r.email,
              full_name: r.full_name,
              comment: r.comment,
              created_at: r.created_at,
              updated_at: r.updated_at,
              fields: values?.get(r.id) ?? {},
            })}\n`,
        )
        .join("");
    }
  }

  /** The recipients a page of 1,000 at a time (keyset by id: memory stays flat), with their field values. */
  private async *pages(actor: Actor, options: ExportOptions, withValues: boolean) {
    const valuesOf = async (page: Recipient[]) =>
      withValues
        ? await valuesFor(
            this.database,
            actor,
            page.map((r) => r.id),
          )
        : undefined;
    if (options.ids) {
      const ids = [...new Set(options.ids)].sort((a, b) => a - b);
      for (let i = 0; i < ids.length; i += PAGE) {
        const page = await this.recipients.byIds(actor, ids.slice(i, i + PAGE));
        yield { page, values: await valuesOf(page) };
      }
      return;
    }
    let afterId = 0;
    for (;;) {
      const page = await this.recipients.listAfter(actor, afterId, PAGE, options.filter);
      if (page.length === 0) return;
      yield { page, values: await valuesOf(page) };
      afterId = page.at(-1)!.id;
    }
  }
}
