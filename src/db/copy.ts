/**
 * Operator tools on the database itself: an online backup of the SQLite file (better-sqlite3's backup
 * API: consistent while the service runs and writes), and the move from SQLite to PostgreSQL: every table
 * copied, in foreign-key order, into an empty migrated PostgreSQL database at the same schema version,
 * keeping ids, then each id sequence set past the largest id. Tables are read from SQLite's catalogue,
 * so a table a later migration adds is copied too.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import type { Database } from "./database.js";

const BATCH = 500;
/** Tables read from the catalogue rather than the typed schema (a later migration's table too). */
type Untyped = Kysely<Record<string, Record<string, unknown>>>;

/** Writes a consistent copy of the SQLite database to `dest` (refused when it exists). */
export async function backupSqlite(source: string, dest: string): Promise<{ pages: number }> {
  if (!existsSync(source)) throw new Error(`There is no database at ${source}.`);
  const target = path.resolve(dest);
  if (existsSync(target)) throw new Error(`${target} exists already: choose a new file name.`);
  const connection = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    const result = await connection.backup(target);
    return { pages: result.totalPages };
  } finally {
    connection.close();
  }
}

export interface CopyReport {
  table: string;
  rows: number;
}

/** Copies every table of `from` (SQLite) into `to` (PostgreSQL, migrated and empty), in one transaction. */
export async function copySqliteToPostgres(from: Database, to: Database): Promise<CopyReport[]> {
  if (from.dialect !== "sqlite" || to.dialect !== "postgres")
    throw new Error("Copies SQLite to PostgreSQL only.");
  const [fromVersion, toVersion] = [await appliedMigrations(from), await appliedMigrations(to)];
  if (fromVersion.join() !== toVersion.join())
    throw new Error(
      "The two databases are at different schema versions: run `postpilot migrate` on the SQLite database first.",
    );
  // The counters, a run's per-status counts and its minutes are not copied: the triggers on PostgreSQL build
  // them as recipients, mailings and deliveries arrive.
  const derived = new Set(["counters", "counter_emails", "run_counts", "run_minutes"]);
  const tables = (await tablesInForeignKeyOrder(from)).filter((t) => !derived.has(t));
  for (const table of tables) {
    // What migrations themselves put in (the built-in layout) does not make the target "not empty": it is
    // replaced by the source's own copy below.
    const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} ${
      table === "layouts" ? sql`where builtin = 0` : sql``
    }`.execute(to.db);
    if (Number(rows[0]?.n ?? 0) > 0)
      throw new Error(
        `The PostgreSQL database is not empty (table ${table} has rows): use a new, empty one.`,
      );
  }
  return to.db.transaction().execute(async (tx) => {
    if (tables.includes("layouts")) await sql`delete from layouts where builtin = 1`.execute(tx);
    const report: CopyReport[] = [];
    for (const table of tables) {
      let copied = 0;
      let after = 0;
      for (;;) {
        const { rows } = await sql<
          Record<string, unknown>
        >`select rowid as "__rowid", * from ${sql.table(table)} where rowid > ${after} order by rowid limit ${BATCH}`.execute(
          from.db,
        );
        if (rows.length === 0) break;
        after = Number(rows.at(-1)!.__rowid);
        const values = rows.map(({ __rowid: _, ...row }) => row);
        await (tx as unknown as Untyped).insertInto(table).values(values).execute();
        copied += rows.length;
      }
      report.push({ table, rows: copied });
      const hasId = await sql<{
        n: number;
      }>`select count(*) as n from information_schema.columns where table_schema = current_schema() and table_name = ${table} and column_name = 'id' and column_default like 'nextval%'`.execute(
        tx,
      );
      if (Number(hasId.rows[0]?.n ?? 0) > 0)
        await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce((select max(id) from ${sql.table(table)}), 1), (select max(id) from ${sql.table(table)}) is not null)`.execute(
          tx,
        );
    }
    return report;
  });
}

async function appliedMigrations(database: Database): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
    database.db,
  );
  return rows.map((r) => r.name);
}

/** The application's tables (not Kysely's), each after the tables it references. */
async function tablesInForeignKeyOrder(database: Database): Promise<string[]> {
  const { rows } = await sql<{
    name: string;
  }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by name`.execute(
    database.db,
  );
  const references = new Map<string, Set<string>>();
  for (const { name } of rows) {
    const fks = await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${name})`.execute(
      database.db,
    );
    references.set(name, new Set(fks.rows.map((f) => f.table).filter((t) => t !== name)));
  }
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (ordered.includes(table)) return;
    if (visiting.has(table)) throw new Error(`Foreign keys go in a circle through ${table}.`);
    visiting.add(table);
    for (const referenced of references.get(table) ?? []) visit(referenced);
    visiting.delete(table);
    ordered.push(table);
  };
  for (const { name } of rows) visit(name);
  return ordered;
}
