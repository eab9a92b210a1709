/**
 * Login throttling and two-factor sign-in: failed logins counted per (account, client address) and per
 * account (the `*` row), optional TOTP secrets with hashed recovery codes, and where a session was opened
 * (for the sessions list). Added tables and nullable columns only.
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";
import type { Dialect } from "./index.js";

export function security(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("login_throttles")
        .addColumn("account", "text", (c) => c.notNull())
        .addColumn("client", "text", (c) => c.notNull())
        .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("last_failed_at", "text")
        .addColumn("blocked_until", "text")
        .addColumn("last_success_at", "text")
        .addColumn("alerted_at", "text")
        .addPrimaryKeyConstraint("login_throttles_pk", ["account", "client"])
        .execute();
      // The admin page: the most recent failures first.
      await db.schema
        .createIndex("login_throttles_last_failed_idx")
        .on("login_throttles")
        .column("last_failed_at")
        .execute();

      await db.schema.alterTable("users").addColumn("totp_secret", "text").execute();
      await db.schema.alterTable("users").addColumn("totp_enabled_at", "text").execute();
      // The last time step a code was accepted for: a code is never accepted twice.
      await db.schema.alterTable("users").addColumn("totp_last_step", "integer").execute();
      await db.schema
        .createTable("recovery_codes")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("code_hash", "text", (c) => c.notNull())
        .addColumn("used_at", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("recovery_codes_user_idx")
        .on("recovery_codes")
        .columns(["user_id", "code_hash"])
        .execute();

      await db.schema.alterTable("sessions").addColumn("client_ip", "text").execute();
      await db.schema.alterTable("sessions").addColumn("user_agent", "text").execute();
    },
  };
}
