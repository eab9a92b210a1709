/**
 * The SQL of one import's staging tables: each batch's valid rows go into a temporary table (multi-row
 * INSERTs on SQLite, COPY on PostgreSQL), duplicates of earlier lines are found in a second temporary table
 * of every address the import has seen (so nothing in memory grows with the file), and one
 * INSERT … SELECT … ON CONFLICT writes the batch.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CompiledQuery, sql } from "kysely";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Db, Executor, Tx } from "../../db/database.js";
import type { Actor } from "../../shared/actor.js";

export interface StagedRow {
  line: number;
  email: string;
  email_normalized: string;
  full_name: string;
  comment: string;
}

/** Which fields an "update existing" import overwrites: only the columns the file has. */
export interface UpdateColumns {
  full_name: boolean;
  comment: boolean;
}

/** A staged row that is not written as new: a duplicate of an earlier line, or already a recipient. */
export interface StagedProblem {
  line: number;
  email: string;
  /** The earlier line with the same address, or null when the owner already has the address. */
  firstLine: number | null;
}

export interface BatchCounts {
  /** Rows whose address an earlier line of the file has. */
  duplicates: number;
  /** First rows of an address the owner already has. */
  existing: number;
}

// Rows per multi-row INSERT on SQLite: 5 parameters each, well under SQLite's 32,766.
const INSERT_ROWS = 1_000;
const COPY_ROWS = 1_000;

/** A CSV cell for COPY … (format csv): always quoted, quotes doubled, so any text goes through as it is. */
const csvCell = (value: string) => `"${value.replaceAll('"', '""')}"`;

async function* copyLines(rows: StagedRow[]): AsyncGenerator<string> {
  for (let i = 0; i < rows.length; i += COPY_ROWS) {
    let text = "";
    for (let j = i; j < Math.min(rows.length, i + COPY_ROWS); j++) {
      const r = rows[j]!;
      text += `${r.line},${csvCell(r.email)},${csvCell(r.email_normalized)},${csvCell(r.full_name)},${csvCell(r.comment)}\n`;
    }
    yield text;
  }
}

/**
 * One import's temporary tables, on one connection: SQLite's only connection, or on PostgreSQL a pooled
 * connection held for the whole import (`client` for COPY, `db` bound to it). `rows` holds the current
 * batch (line, fields, first_line = the earlier line of its address in the file, null on its first, existing = the owner has it);
 * `seen` holds each address's first line.
 */
export class ImportStaging {
  private readonly rows: string;
  private readonly seen: string;
  private readonly insertSql: string;
  private analyzed = false;

  private constructor(
    readonly db: Db,
    private readonly client: pg.PoolClient | null,
  ) {
    const suffix = randomBytes(6).toString("hex");
    this.rows = `import_rows_${suffix}`;
    this.seen = `import_seen_${suffix}`;
    this.insertSql = `insert into ${this.rows} (line, email, email_normalized, full_name, comment) values `;
  }

  static async open(db: Db, client: pg.PoolClient | null = null): Promise<ImportStaging> {
    const staging = new ImportStaging(db, client);
    const t = sql.table;
    // Temporary tables: private to this connection, and on SQLite writing them takes no lock on the database.
    await sql`create temporary table ${t(staging.rows)} (line integer primary key, email text not null,
      email_normalized text not null, full_name text not null, comment text not null,
      first_line integer, existing integer not null default 0)`.execute(db);
    await sql`create temporary table ${t(staging.seen)} (email_normalized text primary key,
      line integer not null)`.execute(db);
    return staging;
  }

  async close(): Promise<void> {
    await sql`drop table if exists ${sql.table(this.rows)}`.execute(this.db);
    await sql`drop table if exists ${sql.table(this.seen)}`.execute(this.db);
  }

  /** The write transaction of a batch, on the staging tables' connection. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      // PostgreSQL: the batch need not wait for its WAL flush. A crash loses at most the last batches, never
      // out of order: the import's progress row, committed after them with a flush, makes them durable too.
      if (this.client) await sql`set local synchronous_commit = off`.execute(tx);
      return work(tx);
    });
  }

  /**
   * Puts a batch in `rows` and marks each row's first line (outside the write transaction: temporary
   * tables only). A row whose first line is an earlier one is a duplicate.
   */
  async stage(batch: StagedRow[]): Promise<void> {
    const t = sql.table;
    if (this.client) {
      await pipeline(
        Readable.from(copyLines(batch)),
        this.client.query(
          copyFrom(
            `copy ${this.rows} (line, email, email_normalized, full_name, comment) from stdin (format csv)`,
          ),
        ),
      );
      // Statistics once: every later batch has the same shape, and ANALYZE costs ~30 ms a batch.
      if (!this.analyzed) await sql`analyze ${t(this.rows)}`.execute(this.db);
      this.analyzed = true;
    } else {
      for (let i = 0; i < batch.length; i += INSERT_ROWS) {
        const end = Math.min(batch.length, i + INSERT_ROWS);
        const params: unknown[] = [];
        for (let j = i; j < end; j++) {
          const r = batch[j]!;
          params.push(r.line, r.email, r.email_normalized, r.full_name, r.comment);
        }
        const text = this.insertSql + "(?, ?, ?, ?, ?),".repeat(end - i).slice(0, -1);
        await this.db.executeQuery(CompiledQuery.raw(text, params));
      }
    }
    await sql`insert into ${t(this.seen)} (email_normalized, line)
      select email_normalized, min(line) from ${t(this.rows)} group by email_normalized
      on conflict (email_normalized) do nothing`.execute(this.db);
    // Only the duplicates are written (first_line stays null on a first row). Correlated scalar subqueries
    // (here and below) are primary-key or unique-index seeks per staged row whatever the statistics say:
    // PostgreSQL, with stale statistics of a fast-growing table, would otherwise hash the whole of `seen`
    // or of the owner's recipients for every batch.
    const first = sql`(select s.line from ${t(this.seen)} s where s.email_normalized = ${t(this.rows)}.email_normalized)`;
    await sql`update ${t(this.rows)} set first_line = ${first} where ${first} < line`.execute(this.db);
  }

  /**
   * In the write transaction: marks the batch's first rows whose address the owner has (by
   * recipients_owner_email_uq), writes the new ones (and, with `update`, the existing ones' columns), and
   * counts. The batch stays staged until clear().
   */
  async write(tx: Tx, actor: Actor, now: string, update: UpdateColumns | null): Promise<BatchCounts> {
    const t = sql.table(this.rows);
    await sql`update ${t} set existing = 1 where first_line is null and (select 1 from recipients r
      where r.owner_id = ${actor.id} and r.email_normalized = ${t}.email_normalized) = 1`.execute(tx);
    const set = update
      ? sql`do update set email = excluded.email, updated_at = excluded.updated_at${
          update.full_name ? sql`, full_name = excluded.full_name` : sql``
        }${update.comment ? sql`, comment = excluded.comment` : sql``}`
      : sql`do nothing`;
    await sql`insert into recipients (owner_id, email, email_normalized, full_name, comment, created_at, updated_at)
      select ${actor.id}, email, email_normalized, full_name, comment, ${now}, ${now} from ${t}
      where first_line is null ${update ? sql`` : sql`and existing = 0`} order by line
      on conflict (owner_id, email_normalized) ${set}`.execute(tx);
    const { rows } = await sql<{ duplicates: number | string | null; existing: number | string | null }>`
      select count(first_line) as duplicates, sum(existing) as existing
      from ${t}`.execute(tx);
    return { duplicates: Number(rows[0]?.duplicates ?? 0), existing: Number(rows[0]?.existing ?? 0) };
  }

  /** The batch's first `limit` rows not written as new (duplicates and, unless updating, existing), by line. */
  async problems(db: Executor, limit: number, updating: boolean): Promise<StagedProblem[]> {
    if (limit <= 0) return [];
    const t = sql.table(this.rows);
    const { rows } = await sql<{ line: number; email: string; first_line: number | null }>`
      select line, email, first_line from ${t}
      where first_line is not null ${updating ? sql`` : sql`or existing = 1`} order by line limit ${limit}`.execute(
      db,
    );
    return rows.map((r) => ({
      line: Number(r.line),
      email: r.email,
      firstLine: r.first_line === null ? null : Number(r.first_line),
    }));
  }

  /** The lines of the batch whose values are written: new rows, and existing ones when updating. */
  async writtenLines(db: Executor, updating: boolean): Promise<Set<number>> {
    const t = sql.table(this.rows);
    const { rows } = await sql<{ line: number }>`select line from ${t}
      where first_line is null ${updating ? sql`` : sql`and existing = 0`}`.execute(db);
    return new Set(rows.map((r) => Number(r.line)));
  }

  /** Puts the batch's recipients (new or existing, not duplicates) in one of the owner's lists. */
  async addToList(tx: Tx, actor: Actor, listId: number, now: string): Promise<void> {
    const t = sql.table(this.rows);
    await sql`insert into list_members (list_id, recipient_id, added_at)
      select ${listId}, (select r.id from recipients r
        where r.owner_id = ${actor.id} and r.email_normalized = s.email_normalized), ${now}
      from ${t} s where s.first_line is null
      on conflict (list_id, recipient_id) do nothing`.execute(tx);
  }

  /** Empties `rows` for the next batch (`seen` stays). */
  async clear(): Promise<void> {
    const t = sql.table(this.rows);
    await (this.client ? sql`truncate ${t}` : sql`delete from ${t}`).execute(this.db);
  }
}
