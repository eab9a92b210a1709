/**
 * The language a user chose in their profile ("en", "ru"); null: as their browser asks (Accept-Language).
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";

export function userLocale() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable("users").addColumn("locale", "text").execute();
    },
  };
}
