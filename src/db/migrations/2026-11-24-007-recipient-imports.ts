/** Recipient imports: one row per CSV upload, updated as its batches commit. Frozen: never edit, add a new migration instead. */
import type { Kysely } from "kysely";
import type { Dialect } from "./index.js";

export function recipientImports(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  const ts = "text"; // ISO-8601 UTC strings in both dialects
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("recipient_imports")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("owner_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        // Random, from the upload form: the page polls progress by it before the upload has finished.
        .addColumn("key", "text", (c) => c.notNull().unique())
        .addColumn("file_name", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("update_existing", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("bytes_total", "bigint")
        .addColumn("bytes_read", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("rows", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("added", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("updated", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("skipped", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("invalid", "integer", (c) => c.notNull().defaultTo(0))
        // JSON: the first problems (line, email, reason), capped; the counts above are the totals.
        .addColumn("problems", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("error", "text")
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .addColumn("finished_at", ts)
        .execute();
      await db.schema
        .createIndex("recipient_imports_owner_created_idx")
        .on("recipient_imports")
        .columns(["owner_id", "created_at"])
        .execute();
    },
  };
}
