/**
 * Drops recipients_owner_created_idx (owner_id, created_at): migration 023's recipients_owner_created_id_idx
 * (owner_id, created_at, id) starts with the same columns and serves every query it served, so it only
 * cost one more index write per imported recipient. Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";

export function dropRedundantRecipientIndex() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex("recipients_owner_created_idx").ifExists().execute();
    },
  };
}
