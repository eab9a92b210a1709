/**
 * Unsubscribing and the suppression list: each owner's suppressed addresses (why, from where, and the
 * delivery that caused it), the record of every unsubscribe (one per delivery: a link works once), and a
 * new delivery status, `suppressed`, for a run's recipient who is on the list.
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export function suppression(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  const ts = "text"; // ISO-8601 UTC strings in both dialects
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await widenDeliveryStatus(db, dialect);

      await db.schema
        .createTable("suppressions")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("owner_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("email_normalized", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("delivery_id", "integer", (c) => c.references("deliveries.id").onDelete("set null"))
        .addColumn("run_id", "integer", (c) => c.references("runs.id").onDelete("set null"))
        .addColumn("mailing_id", "integer", (c) => c.references("mailings.id").onDelete("set null"))
        .addColumn("comment", "text")
        .addColumn("created_at", ts, (c) => c.notNull())
        .addCheckConstraint(
          "suppressions_reason_check",
          sql`reason in ('unsubscribed', 'hard_bounce', 'complaint', 'manual')`,
        )
        .addCheckConstraint(
          "suppressions_source_check",
          sql`source in ('one-click', 'page', 'mailto', 'bounce', 'complaint', 'manual', 'api', 'import', 'cli')`,
        )
        .execute();
      // Who is suppressed: run creation and the worker's re-check look up (owner, address).
      await db.schema
        .createIndex("suppressions_owner_email_uq")
        .on("suppressions")
        .columns(["owner_id", "email_normalized"])
        .unique()
        .execute();
      // The list page and export: an owner's rows, newest first, by keyset.
      await db.schema
        .createIndex("suppressions_owner_id_idx")
        .on("suppressions")
        .columns(["owner_id", "id"])
        .execute();
      await db.schema
        .createIndex("suppressions_delivery_idx")
        .on("suppressions")
        .column("delivery_id")
        .execute();

      // Every unsubscribe, kept when the suppression is later removed. Unique per delivery: a link is used once.
      await db.schema
        .createTable("unsubscribes")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("owner_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("delivery_id", "integer", (c) => c.references("deliveries.id").onDelete("set null"))
        .addColumn("run_id", "integer", (c) => c.references("runs.id").onDelete("set null"))
        .addColumn("mailing_id", "integer", (c) => c.references("mailings.id").onDelete("set null"))
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("created_at", ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("unsubscribes_delivery_uq")
        .on("unsubscribes")
        .column("delivery_id")
        .unique()
        .execute();
      await db.schema
        .createIndex("unsubscribes_owner_idx")
        .on("unsubscribes")
        .columns(["owner_id", "id"])
        .execute();
    },
  };
}

/**
 * deliveries.status gains 'suppressed'. PostgreSQL: drop and re-add the CHECK. SQLite cannot alter a
 * CHECK, so the table is rebuilt the documented way (sqlite.org/lang_altertable.html, "other kinds of
 * table schema changes"): foreign keys off, a copy made from the table's own stored CREATE statement with
 * only the CHECK widened (so every column, default, foreign key and the unique constraint stay exactly as
 * they were), rows copied with their ids, the old table dropped, the copy renamed, its indexes re-created
 * from their stored SQL, the AUTOINCREMENT counter kept, then foreign_key_check before foreign keys go back
 * on. delivery_attempts and outbox_messages name "deliveries" in their foreign keys, so they point at the
 * rebuilt table once it carries that name; with foreign keys off, the drop does not cascade to them.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
async function widenDeliveryStatus(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const statuses = sql`status in ('pending', 'sending', 'sent', 'failed', 'suppressed')`;
  if (dialect === "postgres") {
    await sql`alter table deliveries drop constraint deliveries_status_check`.execute(db);
    await sql`alter table deliveries add constraint deliveries_status_check check (${statuses})`.execute(db);
    return;
  }
  const table = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'table' and name = 'deliveries'`.execute(db);
  const indexes = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'index' and tbl_name = 'deliveries' and sql is not null`.execute(
    db,
  );
  const create = table.rows[0]?.sql ?? "";
  const oldCheck = /status in \('pending', 'sending', 'sent', 'failed'\)/;
  if (!oldCheck.test(create)) throw new Error("deliveries: unexpected CHECK constraint, cannot widen it");
  const rebuilt = create
    .replace(oldCheck, "status in ('pending', 'sending', 'sent', 'failed', 'suppressed')")
    .replace(/^create table "?deliveries"?/i, 'create table "deliveries_rebuilt"');
  const seq = await sql<{ seq: number }>`
    select seq from sqlite_sequence where name = 'deliveries'`.execute(db);
  // The pragma is a no-op inside a transaction: it is set first, and the rebuild is one transaction.
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin immediate`.execute(db);
    await sql.raw(rebuilt).execute(db);
    await sql`insert into deliveries_rebuilt select * from deliveries`.execute(db);
    await sql`drop table deliveries`.execute(db);
    await sql`alter table deliveries_rebuilt rename to deliveries`.execute(db);
    for (const index of indexes.rows) await sql.raw(index.sql).execute(db);
    if (seq.rows[0]) {
      await sql`update sqlite_sequence set seq = ${seq.rows[0].seq} where name = 'deliveries'`.execute(db);
    }
    const broken = await sql`pragma foreign_key_check`.execute(db);
    if (broken.rows.length > 0) throw new Error("deliveries rebuild: foreign key check failed");
    await sql`commit`.execute(db);
  } catch (error) {
    await sql`rollback`.execute(db).catch(() => {});
    throw error;
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}
