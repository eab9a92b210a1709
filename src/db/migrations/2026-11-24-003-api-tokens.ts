/** Personal API tokens: only a token's SHA-256 is stored. Frozen: never edit, add a new migration instead. */
import type { Kysely } from "kysely";
import type { Dialect } from "./index.js";

export function apiTokens(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  const ts = "text"; // ISO-8601 UTC strings in both dialects
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      // A revoked token's row is deleted: nothing needs to remember it.
      await db.schema
        .createTable("api_tokens")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("last_used_at", ts)
        .execute();
      await db.schema.createIndex("api_tokens_user_idx").on("api_tokens").column("user_id").execute();
    },
  };
}
