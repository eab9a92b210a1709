/**
 * Account tokens (email confirmation, password reset; only a token's SHA-256 is stored) and the queue of
 * account emails a sender loop delivers outside web requests. Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export function accountEmails(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  const ts = "text"; // ISO-8601 UTC strings in both dialects
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("account_tokens")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("purpose", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("expires_at", ts, (c) => c.notNull())
        .addColumn("used_at", ts)
        .addCheckConstraint("account_tokens_purpose_check", sql`purpose in ('confirm', 'reset')`)
        .execute();
      await db.schema
        .createIndex("account_tokens_user_idx")
        .on("account_tokens")
        .columns(["user_id", "purpose"])
        .execute();

      // The user is kept only for reference: deleting an account leaves its queued mail to go or fail.
      await db.schema
        .createTable("account_emails")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("user_id", "integer", (c) => c.references("users.id").onDelete("set null"))
        .addColumn("to_address", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
        .addColumn("tries", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", ts, (c) => c.notNull())
        .addColumn("last_error", "text")
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("sent_at", ts)
        .addCheckConstraint("account_emails_status_check", sql`status in ('pending', 'sent', 'failed')`)
        .execute();
      await db.schema
        .createIndex("account_emails_due_idx")
        .on("account_emails")
        .columns(["status", "next_attempt_at"])
        .execute();
    },
  };
}
