/**
 * Idempotency keys of the API (`Idempotency-Key` header): per user and key, a hash of the request and the
 * response it got, so a retried call returns the first result instead of applying it twice. Kept 24 hours.
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";

export function apiIdempotency() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("api_idempotency_keys")
        .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("request_hash", "text", (c) => c.notNull())
        .addColumn("status", "integer", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("api_idempotency_keys_pk", ["user_id", "key"])
        .execute();
      // Expiry: delete rows older than 24 hours.
      await db.schema
        .createIndex("api_idempotency_keys_created_idx")
        .on("api_idempotency_keys")
        .column("created_at")
        .execute();
    },
  };
}
