/**
 * Pausing, resuming and cancelling a run: when a run was paused (null: it is not), when it was cancelled,
 * and a delivery status `cancelled` for what a cancelled run never sent (counted in reports).
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";
import type { Dialect } from "./index.js";
import { widenCheck } from "./widen-check.js";

const OLD = "status in ('pending', 'sending', 'sent', 'failed', 'suppressed')";
const NEW = "status in ('pending', 'sending', 'sent', 'failed', 'suppressed', 'cancelled')";

export function runControls(dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable("runs").addColumn("paused_at", "text").execute();
      await db.schema.alterTable("runs").addColumn("cancelled_at", "text").execute();
      await db.schema
        .alterTable("runs")
        .addColumn("cancelled_count", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await widenCheck(db, dialect, {
        table: "deliveries",
        constraint: "deliveries_status_check",
        from: OLD,
        to: NEW,
      });
    },
  };
}
