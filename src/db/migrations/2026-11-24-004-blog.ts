/**
 * Blog posts: Markdown body, optional uploaded image (a file name under DATA_DIR/uploads), published date
 * (null: a draft) and a view counter.
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";
import type { Dialect } from "./index.js";

export function blog(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  const ts = "text"; // ISO-8601 UTC strings in both dialects
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("posts")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        // A post outlives its author's account.
        .addColumn("author_id", "integer", (c) => c.references("users.id").onDelete("set null"))
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("slug", "text", (c) => c.notNull().unique())
        .addColumn("body_markdown", "text", (c) => c.notNull())
        .addColumn("image_path", "text")
        .addColumn("published_at", ts)
        .addColumn("view_count", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .execute();
      // The public list: published posts, newest first.
      await db.schema.createIndex("posts_published_idx").on("posts").column("published_at").execute();
      await db.schema.createIndex("posts_author_idx").on("posts").column("author_id").execute();
    },
  };
}
