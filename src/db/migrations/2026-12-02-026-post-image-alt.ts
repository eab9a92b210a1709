/**
 * A blog post's image description (its alt text), asked for with the upload; "" for a decorative image.
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";

export function postImageAlt() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable("posts")
        .addColumn("image_alt", "text", (c) => c.notNull().defaultTo(""))
        .execute();
    },
  };
}
