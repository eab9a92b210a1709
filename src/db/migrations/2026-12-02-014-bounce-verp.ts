/**
 * Repeated soft bounces get their own suppression reason, `soft_bounce`: suppressions.reason's CHECK is
 * widened, and the entries the soft-bounce rule filed as `hard_bounce` before (their comment ends "runs in
 * a row") are moved to it. VERP itself needs no column: its tokens are computed, nothing is stored.
 * Runs gain two counters for the reports, kept in the same transaction as the write they count (and
 * filled here from what is recorded): bounced_count (deliveries with a hard or soft bounce) and
 * unsubscribed_count (unsubscribes from the run's copies, complaints included).
 * PostgreSQL: drop and re-add the CHECK. SQLite cannot alter a CHECK: the table is rebuilt from its own
 * stored CREATE statement with only the CHECK widened, as 2026-12-01-009 does for deliveries (no other
 * table names suppressions in a foreign key).
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";
import { widenCheck } from "./widen-check.js";

export function bounceVerp(dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await widenReason(db, dialect);
      await db.schema
        .alterTable("runs")
        .addColumn("bounced_count", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable("runs")
        .addColumn("unsubscribed_count", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await sql`update runs set
        bounced_count = (select count(*) from deliveries d
          where d.run_id = runs.id and d.bounce_type in ('hard', 'soft')),
        unsubscribed_count = (select count(*) from unsubscribes u where u.run_id = runs.id)`.execute(db);
      await db
        .updateTable("suppressions")
        .set({ reason: "soft_bounce" })
        .where("reason", "=", "hard_bounce")
        .where("source", "=", "bounce")
        .where("comment", "like", "%runs in a row")
        .execute();
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
function widenReason(db: Kysely<any>, dialect: Dialect): Promise<void> {
  return widenCheck(db, dialect, {
    table: "suppressions",
    constraint: "suppressions_reason_check",
    from: "reason in ('unsubscribed', 'hard_bounce', 'complaint', 'manual')",
    to: "reason in ('unsubscribed', 'hard_bounce', 'soft_bounce', 'complaint', 'manual')",
  });
}
