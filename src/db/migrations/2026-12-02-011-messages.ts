/**
 * Messages people send: a message's format (plain text, Markdown, HTML) and layout; reusable layouts (a
 * user's own, or shared when owner_id is null: the built-in default and those admins add); sender
 * identities (admins configure them, a mailing picks one); the run's snapshot of all of it, so a run sends
 * what its message, layout and sender were when it was created; and test sends (HTML account emails from a
 * chosen From). Added columns and new tables only (no table rebuild).
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import { insertDefaultLayout } from "./default-layout.js";
import type { Dialect } from "./index.js";

export function messages(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("layouts")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("owner_id", "integer", (c) => c.references("users.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("html", "text", (c) => c.notNull())
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("layouts_owner_idx").on("layouts").column("owner_id").execute();
      await insertDefaultLayout(db);

      await db.schema
        .createTable("senders")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("from_name", "text", (c) => c.notNull())
        .addColumn("from_email", "text", (c) => c.notNull())
        .addColumn("reply_to", "text")
        .addColumn("postal_address", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .alterTable("messages")
        .addColumn("format", "text", (c) =>
          c.notNull().defaultTo("text").check(sql`format in ('text', 'markdown', 'html')`),
        )
        .execute();
      await db.schema
        .alterTable("messages")
        .addColumn("layout_id", "integer", (c) => c.references("layouts.id"))
        .execute();
      await db.schema
        .alterTable("mailings")
        .addColumn("sender_id", "integer", (c) => c.references("senders.id"))
        .execute();

      // The run's snapshot; null on runs made before this migration (they send as plain text, as they did).
      await db.schema.alterTable("runs").addColumn("format", "text").execute();
      await db.schema.alterTable("runs").addColumn("layout_html", "text").execute();
      await db.schema.alterTable("runs").addColumn("layout_text", "text").execute();
      await db.schema.alterTable("runs").addColumn("from_header", "text").execute();
      await db.schema.alterTable("runs").addColumn("reply_to", "text").execute();
      await db.schema.alterTable("runs").addColumn("postal_address", "text").execute();

      // Test sends ride the account-mail queue: an HTML part and a From of their own.
      await db.schema.alterTable("account_emails").addColumn("html", "text").execute();
      await db.schema.alterTable("account_emails").addColumn("from_header", "text").execute();
      await db.schema.alterTable("account_emails").addColumn("kind", "text").execute();
      await db.schema
        .createIndex("account_emails_kind_user_idx")
        .on("account_emails")
        .columns(["kind", "user_id", "created_at"])
        .execute();
    },
  };
}
