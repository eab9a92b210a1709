/**
 * Retention (DELIVERY_RETENTION_DAYS): removes the per-recipient rows (deliveries and their tries) of runs
 * that finished more than N days ago, a chunk per short transaction (never a long write lock, never one
 * huge DELETE), and marks each run as pruned once it has none left. The run row keeps its counts and reply
 * summary; its page says the rows were removed. The engine runs it in a loop; `postpilot prune` once.
 */
import { sql } from "kysely";
import { deleteInChunks } from "../db/chunked.js";
import type { Database } from "../db/database.js";
import { type Clock, systemClock } from "../shared/time.js";
import { type DeliveryLogger, silentLogger } from "./worker.js";

export interface PruneResult {
  runs: number;
  deliveries: number;
  attempts: number;
}

export interface RetentionOptions {
  database: Database;
  days: number;
  clock?: Clock;
  logger?: DeliveryLogger;
  /** Rows removed per transaction. */
  chunk?: number;
  /** Between two passes of the loop. */
  intervalMs?: number;
}

const DAY_MS = 86_400_000;

export class DeliveryRetention {
  private readonly clock: Clock;
  private readonly logger: DeliveryLogger;
  private readonly chunk: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly options: RetentionOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.chunk = options.chunk ?? 5_000;
  }

  /** One pass: every finished run past the retention, oldest first. */
  async pruneOnce(): Promise<PruneResult> {
    const { db } = this.options.database;
    const cutoff = new Date(this.clock.now().getTime() - this.options.days * DAY_MS).toISOString();
    const total: PruneResult = { runs: 0, deliveries: 0, attempts: 0 };
    for (;;) {
      const runs = await db
        .selectFrom("runs")
        .select("id")
        .where("status", "!=", "sending")
        .where("finished_at", "is not", null)
        .where("finished_at", "<", cutoff)
        .where("pruned_at", "is", null)
        .orderBy("finished_at")
        .limit(100)
        .execute();
      if (runs.length === 0) return total;
      for (const run of runs) {
        total.attempts += await deleteInChunks(db, "delivery_attempts", sql`run_id = ${run.id}`, this.chunk);
        total.deliveries += await deleteInChunks(db, "deliveries", sql`run_id = ${run.id}`, this.chunk);
        await db
          .updateTable("runs")
          .set({ pruned_at: this.clock.now().toISOString(), pruned_after_days: this.options.days })
          .where("id", "=", run.id)
          .execute();
        total.runs++;
      }
    }
  }

  start(): void {
    if (this.timer) return;
    const pass = () => {
      this.running = this.pruneOnce()
        .then((r) => {
          if (r.runs > 0) this.logger.info(r, "retention removed the deliveries of old runs");
        })
        .catch((error: unknown) => this.logger.error({ err: error }, "retention pass failed"))
        .finally(() => {
          this.running = null;
          if (this.timer) this.timer = setTimeout(pass, this.options.intervalMs ?? 3_600_000).unref();
        });
    };
    this.timer = setTimeout(pass, 1_000).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
