/** The built-in layout: migrations 011 and 011b ship it, and an emptied test database keeps it. */
import type { Kysely } from "kysely";
import type { Layout, Tables } from "../../src/db/schema.js";

export async function builtinLayout(db: Kysely<Tables>): Promise<Layout> {
  const rows = await db.selectFrom("layouts").selectAll().where("builtin", "=", 1).execute();
  if (rows.length !== 1) throw new Error(`expected one built-in layout, found ${rows.length}`);
  return rows[0]!;
}
