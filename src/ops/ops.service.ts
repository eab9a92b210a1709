/**
 * What an operator's monitoring asks: is the service ready (migrations applied, the database answering),
 * how deep the queues are, and whether each worker's circuit breaker is open. Every query is bounded by
 * an index: the queue counts read only the live statuses (deliveries_claim_idx, account_emails_due_idx).
 */
import { sql } from "kysely";
import type { Database } from "../db/database.js";

const PING_TIMEOUT_MS = 2_000;
/** A worker whose heartbeat is older than this is gone (its row stays until a successor takes over). */
const LIVE_WORKER_MS = 2 * 60_000;

export interface Readiness {
  ready: boolean;
  reason: string | null;
}

export class OpsService {
  private migrated = false;

  constructor(private readonly database: Database) {}

  async readiness(): Promise<Readiness> {
    try {
      return await withTimeout(this.check(), PING_TIMEOUT_MS);
    } catch (error) {
      return { ready: false, reason: `the database does not answer (${(error as Error).message})` };
    }
  }

  /** Deliveries and account emails waiting or being sent, by status. */
  async queueDepth(): Promise<{ queue: string; status: string; count: number }[]> {
    const deliveries = await this.database.db
      .selectFrom("deliveries")
      .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
      .where("status", "in", ["pending", "sending"])
      .groupBy("status")
      .execute();
    const emails = await this.database.db
      .selectFrom("account_emails")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "=", "pending")
      .executeTakeFirstOrThrow();
    const byStatus = new Map(deliveries.map((r) => [r.status as string, Number(r.n)]));
    return [
      { queue: "deliveries", status: "pending", count: byStatus.get("pending") ?? 0 },
      { queue: "deliveries", status: "sending", count: byStatus.get("sending") ?? 0 },
      { queue: "account_emails", status: "pending", count: Number(emails.n) },
    ];
  }

  /** Live workers (recent heartbeat) with their breaker: open while sending is paused. */
  async breakers(now = new Date()): Promise<{ worker: string; host: string; open: boolean }[]> {
    const since = new Date(now.getTime() - LIVE_WORKER_MS).toISOString();
    const rows = await this.database.db
      .selectFrom("delivery_workers")
      .select(["worker_id", "host", "state"])
      .where("heartbeat_at", ">", since)
      .orderBy("worker_id")
      .limit(100)
      .execute();
    return rows.map((r) => ({ worker: r.worker_id, host: r.host, open: r.state === "paused" }));
  }

  private async check(): Promise<Readiness> {
    await sql`select 1`.execute(this.database.db);
    if (!this.migrated) {
      const pending = await this.database.pendingMigrations();
      if (pending.length > 0)
        return { ready: false, reason: `migrations not applied: ${pending.join(", ")}` };
      this.migrated = true;
    }
    return { ready: true, reason: null };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
