/** The built-in layout as migration 011 ships it (PostgreSQL test runs truncate every table, it too). */
import type { Kysely } from "kysely";
import { DEFAULT_LAYOUT_HTML, DEFAULT_LAYOUT_TEXT } from "../../src/db/migrations/default-layout.js";
import type { Layout, Tables } from "../../src/db/schema.js";

export async function builtinLayout(db: Kysely<Tables>): Promise<Layout> {
  const found = await db.selectFrom("layouts").selectAll().where("builtin", "=", 1).executeTakeFirst();
  if (found) return found;
  const now = new Date().toISOString();
  return db
    .insertInto("layouts")
    .values({
      owner_id: null,
      name: "PostPilot default",
      html: DEFAULT_LAYOUT_HTML,
      text: DEFAULT_LAYOUT_TEXT,
      builtin: 1,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
