/**
 * Suppression list import: CSV text (the export's format: a header naming `email`, optionally `reason` and
 * `comment`), read a record at a time, written 500 rows per INSERT; addresses already suppressed are kept as
 * they are. Problems are reported by line. Each added address queues a recipient.suppressed webhook event in
 * its batch's transaction, like a single add (the dispatcher sends consecutive ones batched).
 */
import type { Database } from "../db/database.js";
import type { SuppressionReason } from "../db/schema.js";
import { unescapeFormula } from "../recipients/import/columns.js";
import { CsvError, type CsvSource, readCsv } from "../recipients/import/csv.js";
import type { Actor } from "../shared/actor.js";
import { ValidationError } from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { recipientsSuppressed } from "../webhooks/webhooks.events.js";
import { SUPPRESSION_REASONS, suppressionSchema } from "./suppression.schemas.js";

const BATCH = 500;
const MAX_PROBLEMS = 20;

export interface SuppressionImportSummary {
  rows: number;
  added: number;
  existing: number;
  invalid: number;
  problems: { line: number; email: string; reason: string }[];
}

export class SuppressionImportService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
  ) {}

  async importCsv(actor: Actor, input: CsvSource): Promise<SuppressionImportSummary> {
    try {
      return await this.read(actor, input);
    } catch (error) {
      // Rows before the bad line are imported; the message names the line.
      if (error instanceof CsvError)
        throw new ValidationError({ csv: `Line ${error.line}: ${error.message}` });
      throw error;
    }
  }

  private async read(actor: Actor, input: CsvSource): Promise<SuppressionImportSummary> {
    const summary: SuppressionImportSummary = { rows: 0, added: 0, existing: 0, invalid: 0, problems: [] };
    let columns: { email: number; reason: number; comment: number } | null = null;
    let batch: { email: string; reason: SuppressionReason; comment: string }[] = [];
    const at = this.clock.now();
    const now = iso(at);
    // Each batch and its recipient.suppressed events (as a single add queues them) in one transaction.
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = [...new Map(batch.map((r) => [normalizeEmail(r.email), r])).entries()];
      const added = await this.database.db.transaction().execute(async (tx) => {
        const inserted = await tx
          .insertInto("suppressions")
          .values(
            rows.map(([normalized, r]) => ({
              owner_id: actor.id,
              email: r.email,
              email_normalized: normalized,
              reason: r.reason,
              source: "import" as const,
              delivery_id: null,
              run_id: null,
              mailing_id: null,
              comment: r.comment || null,
              created_at: now,
            })),
          )
          .onConflict((oc) => oc.columns(["owner_id", "email_normalized"]).doNothing())
          .returningAll()
          .execute();
        await recipientsSuppressed(tx, inserted, at);
        return inserted;
      });
      summary.added += added.length;
      summary.existing += batch.length - added.length;
      batch = [];
    };
    for await (const record of readCsv(input)) {
      const cells = record.fields.map((f) => unescapeFormula(f.trim()));
      if (!columns) {
        const names = cells.map((c) => c.toLowerCase());
        const email = names.indexOf("email");
        if (email === -1)
          throw new ValidationError({ csv: "The first line must name the columns, with an email column." });
        columns = { email, reason: names.indexOf("reason"), comment: names.indexOf("comment") };
        continue;
      }
      if (cells.every((c) => c === "")) continue;
      summary.rows++;
      const rawReason = columns.reason >= 0 ? (cells[columns.reason] ?? "") : "";
      const parsed = suppressionSchema.safeParse({
        email: cells[columns.email] ?? "",
        reason: (SUPPRESSION_REASONS as readonly string[]).includes(rawReason) ? rawReason : "manual",
        comment: columns.comment >= 0 ? (cells[columns.comment] ?? "") : "",
      });
      if (!parsed.success) {
        summary.invalid++;
        if (summary.problems.length < MAX_PROBLEMS) {
          summary.problems.push({
            line: record.line,
            email: cells[columns.email] ?? "",
            reason: parsed.error.issues[0]?.message ?? "invalid",
          });
        }
        continue;
      }
      batch.push(parsed.data);
      if (batch.length >= BATCH) await flush();
    }
    if (!columns) throw new ValidationError({ csv: "The file is empty." });
    await flush();
    return summary;
  }
}
