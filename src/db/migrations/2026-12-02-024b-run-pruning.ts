/**
 * Retention (DELIVERY_RETENTION_DAYS): when the per-recipient rows (deliveries and their tries) of a
 * finished run were removed, and after how many days. The run keeps its counts and reply summary.
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";

export function runPruning() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable("runs").addColumn("pruned_at", "text").execute();
      await db.schema.alterTable("runs").addColumn("pruned_after_days", "integer").execute();
      // The retention loop looks for finished runs not yet pruned, oldest first.
      await db.schema.createIndex("runs_unpruned_finished_idx").on("runs").column("finished_at").execute();
    },
  };
}
