/**
 * Pausing, resuming and cancelling a run: when a run was paused (null: it is not), when it was cancelled,
 * and a delivery status `cancelled` for what a cancelled run never sent (counted in reports).
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

const OLD = "status in ('pending', 'sending', 'sent', 'failed', 'suppressed')";
const NEW = "status in ('pending', 'sending', 'sent', 'failed', 'suppressed', 'cancelled')";

export function runControls(dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable("runs").addColumn("paused_at", "text").execute();
      await db.schema.alterTable("runs").addColumn("cancelled_at", "text").execute();
      await db.schema
        .alterTable("runs")
        .addColumn("cancelled_count", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await widenDeliveryStatus(db, dialect);
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
async function widenDeliveryStatus(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === "postgres") {
    await sql`alter table deliveries drop constraint deliveries_status_check`.execute(db);
    await sql`alter table deliveries add constraint deliveries_status_check check (${sql.raw(NEW)})`.execute(
      db,
    );
    return;
  }
  // SQLite cannot alter a CHECK: the table is rebuilt with the same definition and indexes, in one transaction.
  const table = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'table' and name = 'deliveries'`.execute(db);
  const indexes = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'index' and tbl_name = 'deliveries' and sql is not null`.execute(
    db,
  );
  const create = table.rows[0]?.sql ?? "";
  if (!create.includes(OLD)) throw new Error("deliveries: unexpected CHECK constraint, cannot widen it");
  const rebuilt = create
    .replace(OLD, NEW)
    .replace(/^create table "?deliveries"?/i, 'create table "deliveries_rebuilt"');
  const seq = await sql<{ seq: number }>`
    select seq from sqlite_sequence where name = 'deliveries'`.execute(db);
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
