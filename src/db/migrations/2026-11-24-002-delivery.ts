/**
 * Runs, deliveries, the local outbox and the worker heartbeat table of the delivery engine.
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export function delivery(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  const ts = "text"; // ISO-8601 UTC strings in both dialects
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("runs")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("mailing_id", "integer", (c) => c.notNull().references("mailings.id").onDelete("cascade"))
        .addColumn("trigger", "text", (c) => c.notNull())
        .addColumn("actor_user_id", "integer", (c) => c.references("users.id").onDelete("set null"))
        .addColumn("status", "text", (c) => c.notNull().defaultTo("sending"))
        // The planned occurrence this run serves (manual runs: the time they were asked for).
        .addColumn("scheduled_for", ts, (c) => c.notNull())
        // The message as it was when the run started: later edits do not change what a run sends.
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("total_count", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("sent_count", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("failed_count", "integer", (c) => c.notNull().defaultTo(0))
        // JSON: counts by reply code and the most frequent failure texts; written when the run finishes.
        .addColumn("response", "text")
        .addColumn("started_at", ts, (c) => c.notNull())
        .addColumn("finished_at", ts)
        .addColumn("created_at", ts, (c) => c.notNull())
        .addCheckConstraint("runs_trigger_check", sql`"trigger" in ('schedule', 'web', 'cli', 'api')`)
        .addCheckConstraint("runs_status_check", sql`status in ('sending', 'success', 'failure')`)
        .addUniqueConstraint("runs_mailing_scheduled_for_uq", ["mailing_id", "scheduled_for"])
        .execute();
      await db.schema
        .createIndex("runs_mailing_started_idx")
        .on("runs")
        .columns(["mailing_id", "started_at"])
        .execute();
      await db.schema.createIndex("runs_status_idx").on("runs").column("status").execute();
      await db.schema.createIndex("runs_started_idx").on("runs").column("started_at").execute();

      await db.schema
        .createTable("deliveries")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        // Deleting a recipient keeps the record of what was sent to them.
        .addColumn("recipient_id", "integer", (c) => c.references("recipients.id").onDelete("set null"))
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
        .addColumn("tries", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", ts, (c) => c.notNull())
        .addColumn("lease_owner", "text")
        .addColumn("lease_expires_at", ts)
        .addColumn("last_code", "integer")
        .addColumn("last_enhanced", "text")
        .addColumn("last_text", "text")
        .addColumn("message_id", "text")
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("sent_at", ts)
        .addColumn("updated_at", ts, (c) => c.notNull())
        .addCheckConstraint(
          "deliveries_status_check",
          sql`status in ('pending', 'sending', 'sent', 'failed')`,
        )
        .addUniqueConstraint("deliveries_run_recipient_uq", ["run_id", "recipient_id"])
        .execute();
      // Claiming: the oldest due pending deliveries first.
      await db.schema
        .createIndex("deliveries_claim_idx")
        .on("deliveries")
        .columns(["status", "next_attempt_at", "id"])
        .execute();
      // Reclaiming expired leases.
      await db.schema
        .createIndex("deliveries_lease_idx")
        .on("deliveries")
        .columns(["status", "lease_expires_at"])
        .execute();
      // Progress and run pages: counts and lists by status within a run.
      await db.schema
        .createIndex("deliveries_run_status_idx")
        .on("deliveries")
        .columns(["run_id", "status"])
        .execute();
      // ON DELETE SET NULL from recipients must not scan the table.
      await db.schema
        .createIndex("deliveries_recipient_idx")
        .on("deliveries")
        .column("recipient_id")
        .execute();

      await db.schema
        .createTable("outbox_messages")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("delivery_id", "integer", (c) => c.references("deliveries.id").onDelete("set null"))
        .addColumn("from_address", "text", (c) => c.notNull())
        .addColumn("to_address", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("raw", "text", (c) => c.notNull())
        .addColumn("created_at", ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("outbox_messages_created_idx")
        .on("outbox_messages")
        .column("created_at")
        .execute();
      await db.schema
        .createIndex("outbox_messages_delivery_idx")
        .on("outbox_messages")
        .column("delivery_id")
        .execute();

      // One row per live worker, refreshed by its heartbeat: the web UI reads sending's state from here.
      await db.schema
        .createTable("delivery_workers")
        .addColumn("worker_id", "text", (c) => c.primaryKey())
        .addColumn("host", "text", (c) => c.notNull())
        .addColumn("pid", "integer", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("paused_until", ts)
        .addColumn("started_at", ts, (c) => c.notNull())
        .addColumn("heartbeat_at", ts, (c) => c.notNull())
        .execute();
    },
  };
}
