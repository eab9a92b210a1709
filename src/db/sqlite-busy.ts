/**
 * better-sqlite3 is synchronous: while another process holds SQLite's write lock, its busy timeout blocks
 * the whole event loop (a 20 s lock froze every page and turned SMTP replies already received into
 * timeouts). This driver keeps SQLite's own busy wait short and retries a busy statement asynchronously,
 * so the loop is never blocked for more than BUSY_WAIT_MS at a time. Transactions begin IMMEDIATE: the
 * write lock is taken (and waited for) at BEGIN, never halfway through, where a retry could not help.
 */
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteDialect,
  type SqliteDialectConfig,
  type TransactionSettings,
} from "kysely";

/** SQLite's own (synchronous) busy wait per try; set as the connection's busy_timeout. */
export const BUSY_WAIT_MS = 25;
/** How long a statement keeps being retried while the database stays locked, before the error is thrown. */
const BUSY_DEADLINE_MS = 10_000;

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

export class BusyRetryingSqliteDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly deadlineMs = BUSY_DEADLINE_MS,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new BusyRetryingDriver(super.createDriver(), this.deadlineMs);
  }
}

class BusyRetryingDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
  private readonly originals = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly deadlineMs: number,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let wrapped = this.wrapped.get(connection);
    if (!wrapped) {
      wrapped = retrying(connection, this.deadlineMs);
      this.wrapped.set(connection, wrapped);
      this.originals.set(wrapped, connection);
    }
    return wrapped;
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(this.originals.get(connection) ?? connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

function retrying(connection: DatabaseConnection, deadlineMs: number): DatabaseConnection {
  return {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      const deadline = Date.now() + deadlineMs;
      for (let attempt = 0; ; attempt++) {
        try {
          return await connection.executeQuery<R>(query);
        } catch (error) {
          if (!isBusy(error) || Date.now() >= deadline) throw error;
          // Give the event loop back, then try again: 5, 10, 20 … at most 100 ms apart.
          await new Promise((resolve) => setTimeout(resolve, Math.min(100, 5 * 2 ** attempt)));
        }
      }
    },
    streamQuery<R>(query: CompiledQuery, chunkSize?: number) {
      return connection.streamQuery<R>(query, chunkSize);
    },
  };
}
