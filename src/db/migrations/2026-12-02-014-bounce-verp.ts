/**
 * Repeated soft bounces get their own suppression reason, `soft_bounce`: suppressions.reason's CHECK is
 * widened, and the entries the soft-bounce rule filed as `hard_bounce` before (their comment ends "runs in
 * a row") are moved to it. VERP itself needs no column: its tokens are computed, nothing is stored.
 * Runs gain two counters for the reports, kept in the same transaction as the write they count (and
 * filled here from what is recorded): bounced_count (deliveries with a hard or soft bounce) and
 * unsubscribed_count (unsubscribes from the run's copies, complaints included).
 * PostgreSQL: drop and re-add the CHECK. SQLite cannot alter a CHECK: the table is rebuilt from its own
 * stored CREATE statement with only the CHECK widened, as 2026-12-01-009 does for deliveries (no other
 * table names suppressions in a foreign key).
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export function bounceVerp(dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await widenReason(db, dialect);
      await db.schema
        .alterTable("runs")
        .addColumn("bounced_count", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable("runs")
        .addColumn("unsubscribed_count", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await sql`update runs set
        bounced_count = (select count(*) from deliveries d
          where d.run_id = runs.id and d.bounce_type in ('hard', 'soft')),
        unsubscribed_count = (select count(*) from unsubscribes u where u.run_id = runs.id)`.execute(db);
      await db
        .updateTable("suppressions")
        .set({ reason: "soft_bounce" })
        .where("reason", "=", "hard_bounce")
        .where("source", "=", "bounce")
        .where("comment", "like", "%runs in a row")
        .execute();
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
async function widenReason(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const oldReasons = "reason in ('unsubscribed', 'hard_bounce', 'complaint', 'manual')";
  const newReasons = "reason in ('unsubscribed', 'hard_bounce', 'soft_bounce', 'complaint', 'manual')";
  if (dialect === "postgres") {
    await sql`alter table suppressions drop constraint suppressions_reason_check`.execute(db);
    await sql`alter table suppressions add constraint suppressions_reason_check check (${sql.raw(newReasons)})`.execute(
      db,
    );
    return;
  }
  const table = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'table' and name = 'suppressions'`.execute(db);
  const indexes = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'index' and tbl_name = 'suppressions' and sql is not null`.execute(
    db,
  );
  const create = table.rows[0]?.sql ?? "";
  if (!create.includes(oldReasons))
    throw new Error("suppressions: unexpected CHECK constraint, cannot widen it");
  const rebuilt = create
    .replace(oldReasons, newReasons)
    .replace(/^create table "?suppressions"?/i, 'create table "suppressions_rebuilt"');
  const seq = await sql<{ seq: number }>`
    select seq from sqlite_sequence where name = 'suppressions'`.execute(db);
  // The pragma is a no-op inside a transaction: it is set first, and the rebuild is one transaction.
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin immediate`.execute(db);
    await sql.raw(rebuilt).execute(db);
    await sql`insert into suppressions_rebuilt select * from suppressions`.execute(db);
    await sql`drop table suppressions`.execute(db);
    await sql`alter table suppressions_rebuilt rename to suppressions`.execute(db);
    for (const index of indexes.rows) await sql.raw(index.sql).execute(db);
    if (seq.rows[0]) {
      await sql`update sqlite_sequence set seq = ${seq.rows[0].seq} where name = 'suppressions'`.execute(db);
    }
    const broken = await sql`pragma foreign_key_check`.execute(db);
    if (broken.rows.length > 0) throw new Error("suppressions rebuild: foreign key check failed");
    await sql`commit`.execute(db);
  } catch (error) {
    await sql`rollback`.execute(db).catch(() => {});
    throw error;
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}
