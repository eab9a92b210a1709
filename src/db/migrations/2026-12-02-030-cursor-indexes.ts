/**
 * Indexes for the API's cursor-paged lists that walk an owner's rows in id order: lists and webhook
 * endpoints by (owner_id, id). (Suppressions, runs, deliveries and webhook attempts had theirs already;
 * users walk their primary key, a mailing's picked recipients mailing_recipients_pk.)
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";

export function cursorIndexes() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await sql`create index lists_owner_id_idx on lists (owner_id, id)`.execute(db);
      await sql`create index webhook_endpoints_owner_id_idx on webhook_endpoints (owner_id, id)`.execute(db);
    },
  };
}
