/**
 * Opens the database: SQLite (the embedded default, or in memory for tests) or PostgreSQL, both behind
 * one Kysely instance typed by the table types, with migrations applied by migrateToLatest().
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import { insertDefaultLayout } from "./migrations/default-layout.js";
import { type Dialect, StaticMigrationProvider } from "./migrations/index.js";
import type { Tables } from "./schema.js";
import { BUSY_WAIT_MS, BusyRetryingSqliteDialect } from "./sqlite-busy.js";
import { withStatementCache } from "./statement-cache.js";

export type Db = Kysely<Tables>;
export type Tx = Transaction<Tables>;
/** Either the database or an open transaction: repositories accept both. */
export type Executor = Db | Tx;

/**
 * COUNT(*) and bigint (delivery and try ids, migration 024) come back from pg as strings. They are parsed
 * into numbers, exact up to Number.MAX_SAFE_INTEGER (2^53 - 1); a larger value throws rather than being
 * silently rounded to a neighbouring id.
 */
export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw new RangeError(`A 64-bit value from PostgreSQL is too large to handle exactly: ${value}`);
  return n;
}
pg.types.setTypeParser(20, parseInt8);

export class Database {
  private constructor(
    readonly db: Db,
    readonly dialect: Dialect,
    private readonly pool?: pg.Pool,
  ) {}

  static sqlite(file: string): Database {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return Database.fromSqlite(new SQLite(file));
  }

  static memory(): Database {
    return Database.fromSqlite(new SQLite(":memory:"));
  }

  static postgres(url: string, options: { max?: number } = {}): Database {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 60_000,
    });
    return new Database(new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }), "postgres", pool);
  }

  /**
   * PostgreSQL only: runs `work` on one pooled connection, given both the raw client (for COPY, which
   * Kysely cannot send) and a Kysely bound to that same connection, so a COPY and queries share a
   * transaction begun through `db`.
   */
  async withPgConnection<T>(work: (client: pg.PoolClient, db: Db) => Promise<T>): Promise<T> {
    if (!this.pool) throw new Error("withPgConnection is for PostgreSQL only.");
    const client = await this.pool.connect();
    const db = new Kysely<Tables>({
      dialect: new PostgresDialect({
        pool: {
          connect: async () => ({ query: client.query.bind(client), release() {} }),
          end: async () => {},
        },
      }),
    });
    try {
      return await work(client, db);
    } finally {
      client.release();
    }
  }

  /** DATABASE_URL when given, otherwise the SQLite file under the data folder. */
  static open(options: { databaseUrl: string | undefined; dataDir: string }): Database {
    return options.databaseUrl
      ? Database.postgres(options.databaseUrl)
      : Database.sqlite(path.join(options.dataDir, "postpilot.sqlite"));
  }

  private static fromSqlite(connection: SQLite.Database): Database {
    connection.pragma("journal_mode = WAL");
    connection.pragma("synchronous = NORMAL");
    connection.pragma("foreign_keys = ON");
    // Short: a longer wait would block the event loop; the dialect retries busy statements asynchronously.
    connection.pragma(`busy_timeout = ${BUSY_WAIT_MS}`);
    return new Database(
      new Kysely<Tables>({
        dialect: new BusyRetryingSqliteDialect({ database: withStatementCache(connection) }),
      }),
      "sqlite",
    );
  }

  async migrateToLatest(): Promise<string[]> {
    const migrator = new Migrator({ db: this.db, provider: new StaticMigrationProvider(this.dialect) });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
  }

  /** The migrations not yet applied (none: the schema is current). Throws when the database does not answer. */
  async pendingMigrations(): Promise<string[]> {
    const migrator = new Migrator({ db: this.db, provider: new StaticMigrationProvider(this.dialect) });
    return (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
  }

  /** Empties every table (tests on a shared PostgreSQL database). */
  async truncateAll(): Promise<void> {
    const tables = await this.db.introspection.getTables();
    const names = tables.map((t) => t.name).filter((n) => !n.startsWith("kysely_"));
    if (names.length === 0) return;
    if (this.dialect === "postgres") {
      await sql`truncate ${sql.join(names.map((n) => sql.table(n)))} restart identity cascade`.execute(
        this.db,
      );
    } else {
      for (const name of names) await sql`delete from ${sql.table(name)}`.execute(this.db);
      // Deleting recipients and mailings ran the counter triggers after the counters were emptied.
      if (names.includes("counters")) await sql`delete from counters`.execute(this.db);
    }
    // What migrations put in is part of an empty database: the shipped layout.
    if (names.includes("layouts")) {
      await insertDefaultLayout(this.db);
      // Migration 011b marks it as the built-in layout (the only row here).
      await this.db.updateTable("layouts").set({ builtin: 1 }).execute();
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** Whether an error is a unique-constraint violation (both dialects). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** Whether an error is a foreign-key violation (both dialects). */
export function isForeignKeyViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  return code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}
