/**
 * Indexes for keyset-paged lists: each list's (parent or owner, sort key, id), so a page is a range scan of
 * at most a page of rows whatever the table's size.
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";

export function listIndexes() {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      // Recipients by date and by name (by email: recipients_owner_email_uq is unique, the id follows it).
      await sql`create index recipients_owner_created_id_idx on recipients (owner_id, created_at, id)`.execute(
        db,
      );
      await sql`create index recipients_owner_name_id_idx on recipients (owner_id, lower(full_name), id)`.execute(
        db,
      );
      // A run's deliveries, all or of one status, in id order.
      await sql`create index deliveries_run_id_idx on deliveries (run_id, id)`.execute(db);
      await sql`create index deliveries_run_status_id_idx on deliveries (run_id, status, id)`.execute(db);
      // A mailing's runs, newest first.
      await sql`create index runs_mailing_id_idx on runs (mailing_id, id)`.execute(db);
      // The audit log and the outbox, newest first.
      await sql`create index audit_log_id_created_idx on audit_log (created_at, id)`.execute(db);
      await sql`create index audit_log_action_created_idx on audit_log (action, created_at, id)`.execute(db);
      await sql`create index outbox_messages_created_id_idx on outbox_messages (created_at, id)`.execute(db);
    },
  };
}
