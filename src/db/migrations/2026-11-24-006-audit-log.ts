/** The audit log: what managers and admins did to other people's accounts and data. Frozen. */
import type { Kysely } from "kysely";
import type { Dialect } from "./index.js";

export function auditLog(dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("audit_log")
        .addColumn("id", dialect === "postgres" ? "serial" : "integer", (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        // The actor's email is kept as text too, so the record survives the actor's deletion.
        .addColumn("actor_id", "integer", (c) => c.references("users.id").onDelete("set null"))
        .addColumn("actor_email", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("target_type", "text", (c) => c.notNull())
        .addColumn("target_id", "integer", (c) => c.notNull())
        .addColumn("target_label", "text", (c) => c.notNull())
        .addColumn("details", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("audit_log_created_idx").on("audit_log").column("created_at").execute();
      await db.schema.createIndex("audit_log_action_idx").on("audit_log").column("action").execute();
    },
  };
}
