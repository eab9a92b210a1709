/**
 * What a worker reports beside its state, with each heartbeat: its relays (up or down, last error) and the
 * recipient domains it is slowing down. JSON, or null.
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";

export function workerDetails() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable("delivery_workers").addColumn("details", "text").execute();
    },
  };
}
