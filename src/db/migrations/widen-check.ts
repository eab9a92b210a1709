/**
 * Widens a table's CHECK constraint, for migrations. PostgreSQL drops and re-adds the named constraint;
 * SQLite cannot alter a CHECK, so the table is rebuilt from its stored CREATE statement with only the CHECK
 * changed, keeping rows, ids, indexes and its autoincrement sequence, in one transaction, and the foreign
 * keys are checked before it commits. Frozen with the migrations that use it: never edit, add a new helper.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export async function widenCheck(
  // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
  db: Kysely<any>,
  dialect: Dialect,
  spec: { table: string; constraint: string; from: string; to: string },
): Promise<void> {
  const { table: name, constraint, from, to } = spec;
  if (dialect === "postgres") {
    await sql`alter table ${sql.table(name)} drop constraint ${sql.id(constraint)}`.execute(db);
    await sql`alter table ${sql.table(name)} add constraint ${sql.id(constraint)} check (${sql.raw(to)})`.execute(
      db,
    );
    return;
  }
  const table = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'table' and name = ${name}`.execute(db);
  const indexes = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'index' and tbl_name = ${name} and sql is not null`.execute(
    db,
  );
  const create = table.rows[0]?.sql ?? "";
  if (!create.includes(from)) throw new Error(`${name}: unexpected CHECK constraint, cannot widen it`);
  const rebuiltName = `${name}_rebuilt`;
  const rebuilt = create
    .replace(from, to)
    .replace(new RegExp(`^create table "?${name}"?`, "i"), `create table "${rebuiltName}"`);
  const seq = await sql<{ seq: number }>`select seq from sqlite_sequence where name = ${name}`.execute(db);
  // The pragma is a no-op inside a transaction: it is set first, and the rebuild is one transaction.
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin immediate`.execute(db);
    await sql.raw(rebuilt).execute(db);
    await sql`insert into ${sql.table(rebuiltName)} select * from ${sql.table(name)}`.execute(db);
    await sql`drop table ${sql.table(name)}`.execute(db);
    await sql`alter table ${sql.table(rebuiltName)} rename to ${sql.table(name)}`.execute(db);
    for (const index of indexes.rows) await sql.raw(index.sql).execute(db);
    if (seq.rows[0]) {
      await sql`update sqlite_sequence set seq = ${seq.rows[0].seq} where name = ${name}`.execute(db);
    }
    const broken = await sql`pragma foreign_key_check`.execute(db);
    if (broken.rows.length > 0) throw new Error(`${name} rebuild: foreign key check failed`);
    await sql`commit`.execute(db);
  } catch (error) {
    await sql`rollback`.execute(db).catch(() => {});
    throw error;
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}
