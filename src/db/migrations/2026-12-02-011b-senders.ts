/**
 * What the senders and layouts pages need beyond migration 011: a flag on the layout PostPilot ships, so
 * the rule "nobody deletes the built-in layout" does not depend on its name or id (admins may rename it).
 * Indexes the in-use checks of both. Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";

export function sendersAndLayouts() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable("layouts")
        .addColumn("builtin", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      // Migration 011 inserted exactly one layout, the shipped default; nothing else existed yet.
      await db
        .updateTable("layouts")
        .set({ builtin: 1 })
        .where("owner_id", "is", null)
        .where("name", "=", "PostPilot default")
        .execute();
      // The "in use" checks before a delete: mailings by sender, messages by layout.
      await db.schema.createIndex("mailings_sender_idx").on("mailings").column("sender_id").execute();
      await db.schema.createIndex("messages_layout_idx").on("messages").column("layout_id").execute();
    },
  };
}
