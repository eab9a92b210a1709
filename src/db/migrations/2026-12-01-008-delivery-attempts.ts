/**
 * The history of every try of every delivery: when, at which SMTP stage, what the server (or the socket)
 * answered, through which relay, and what it meant for the delivery. Append-only: "retry failed" adds to it.
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export function deliveryAttempts(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  const ts = "text"; // ISO-8601 UTC strings in both dialects
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("delivery_attempts")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("delivery_id", "integer", (c) =>
          c.notNull().references("deliveries.id").onDelete("cascade"),
        )
        .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addColumn("attempted_at", ts, (c) => c.notNull())
        // Where in the SMTP exchange the answer came: connect, greeting, ehlo, starttls, auth, mail, rcpt, data.
        .addColumn("stage", "text", (c) => c.notNull())
        // sent; retry (a try used, tried again later); failed (for good); relay (the relay's or the
        // configuration's problem: no try used).
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("code", "integer")
        .addColumn("enhanced", "text")
        .addColumn("text", "text", (c) => c.notNull())
        // Which relay answered (host:port), or "outbox".
        .addColumn("relay", "text")
        .addCheckConstraint(
          "delivery_attempts_outcome_check",
          sql`outcome in ('sent', 'retry', 'failed', 'relay')`,
        )
        .execute();
      await db.schema
        .createIndex("delivery_attempts_delivery_idx")
        .on("delivery_attempts")
        .columns(["delivery_id", "id"])
        .execute();
      await db.schema
        .createIndex("delivery_attempts_run_idx")
        .on("delivery_attempts")
        .columns(["run_id", "id"])
        .execute();
    },
  };
}
