/** Users, sessions, recipients, messages, mailings. Frozen: never edit, add a new migration instead. */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export function foundation(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  const ts = "text"; // ISO-8601 UTC strings in both dialects
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("users")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("email_normalized", "text", (c) => c.notNull().unique())
        .addColumn("password_hash", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("time_zone", "text", (c) => c.notNull().defaultTo("UTC"))
        .addColumn("role", "text", (c) => c.notNull().defaultTo("user"))
        .addColumn("email_confirmed_at", ts)
        .addColumn("blocked_at", ts)
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .addCheckConstraint("users_role_check", sql`role in ('user', 'manager', 'admin')`)
        .execute();

      await db.schema
        .createTable("sessions")
        .addColumn("id_hash", "text", (c) => c.primaryKey())
        .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("expires_at", ts, (c) => c.notNull())
        .addColumn("last_seen_at", ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("sessions_user_idx").on("sessions").column("user_id").execute();

      await db.schema
        .createTable("recipients")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("owner_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("email_normalized", "text", (c) => c.notNull())
        .addColumn("full_name", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("comment", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("recipients_owner_email_uq")
        .on("recipients")
        .columns(["owner_id", "email_normalized"])
        .unique()
        .execute();
      await db.schema
        .createIndex("recipients_owner_created_idx")
        .on("recipients")
        .columns(["owner_id", "created_at"])
        .execute();
      await db.schema
        .createIndex("recipients_email_idx")
        .on("recipients")
        .column("email_normalized")
        .execute();

      await db.schema
        .createTable("messages")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("owner_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("messages_owner_idx").on("messages").column("owner_id").execute();

      await db.schema
        .createTable("mailings")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("owner_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        // A message in use cannot be deleted (the UI says which mailings use it). NO ACTION, not RESTRICT:
        // it is checked at the end of the statement, so deleting a user cascades through both tables.
        .addColumn("message_id", "integer", (c) =>
          c.notNull().references("messages.id").onDelete("no action"),
        )
        .addColumn("first_send_at", ts, (c) => c.notNull())
        .addColumn("end_at", ts, (c) => c.notNull())
        .addColumn("periodicity", "text", (c) => c.notNull())
        .addColumn("time_zone", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull().defaultTo("created"))
        .addColumn("disabled_at", ts)
        .addColumn("next_run_at", ts)
        .addColumn("last_run_at", ts)
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .addCheckConstraint(
          "mailings_periodicity_check",
          sql`periodicity in ('once', 'daily', 'weekly', 'monthly')`,
        )
        .addCheckConstraint("mailings_status_check", sql`status in ('created', 'running', 'completed')`)
        .addCheckConstraint("mailings_end_after_start_check", sql`end_at > first_send_at`)
        .execute();
      await db.schema.createIndex("mailings_owner_idx").on("mailings").column("owner_id").execute();
      await db.schema.createIndex("mailings_message_idx").on("mailings").column("message_id").execute();
      await db.schema.createIndex("mailings_next_run_idx").on("mailings").column("next_run_at").execute();

      await db.schema
        .createTable("mailing_recipients")
        .addColumn("mailing_id", "integer", (c) => c.notNull().references("mailings.id").onDelete("cascade"))
        .addColumn("recipient_id", "integer", (c) =>
          c.notNull().references("recipients.id").onDelete("cascade"),
        )
        .addPrimaryKeyConstraint("mailing_recipients_pk", ["mailing_id", "recipient_id"])
        .execute();
      await db.schema
        .createIndex("mailing_recipients_recipient_idx")
        .on("mailing_recipients")
        .column("recipient_id")
        .execute();
    },
  };
}
