/**
 * The installation-wide send rate (SEND_RATE): one token bucket row per limit, shared by every worker on the
 * database. Tokens are kept in thousandths, the last refill in epoch milliseconds, both integers, so a worker
 * can take tokens with a compare-and-set on exact values.
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";

export function sendRate() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("send_buckets")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("millitokens", "bigint", (c) => c.notNull())
        .addColumn("refilled_at_ms", "bigint", (c) => c.notNull())
        .execute();
    },
  };
}
