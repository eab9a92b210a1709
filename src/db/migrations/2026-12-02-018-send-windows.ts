/**
 * A mailing's sending window: JSON {days: ISO weekdays, start: "HH:MM", end: "HH:MM"} in its time zone, or
 * null (send at any time). See delivery/window.ts.
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";

export function sendWindows() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable("mailings").addColumn("send_window", "text").execute();
    },
  };
}
