/** Shared pieces of the delivery tests: a fast engine config, a poll helper, and a worker on a database. */
import type { Database } from "../../src/db/database.js";
import { KyselyDeliveryStore } from "../../src/delivery/delivery.store.js";
import type { EngineConfig, Mailer } from "../../src/delivery/ports.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { Scheduler } from "../../src/delivery/scheduler.js";
import { SmtpMailer } from "../../src/delivery/smtp.mailer.js";
import { DeliveryWorker, type WorkerDeps } from "../../src/delivery/worker.js";
import type { Clock } from "../../src/shared/time.js";

export const FROM = "PostPilot Tests <sender@postpilot.test>";

export function fastConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    batchSize: 20,
    concurrency: 4,
    rate: 0,
    maxTries: 5,
    retryBaseMs: 10,
    maxAgeMs: 10 * 60_000,
    leaseMs: 5_000,
    heartbeatMs: 200,
    staleAfterMs: 2_000,
    idlePollMs: 20,
    flushMs: 20,
    breaker: { threshold: 3, baseMs: 50, maxMs: 400 },
    ...overrides,
  };
}

/** Polls until `check` returns something truthy (or throws the last assertion error after the timeout). */
export async function eventually<T>(
  check: () => Promise<T> | T,
  { timeoutMs = 20_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = new Error("condition never held");
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function smtpMailer(url: string, config = fastConfig(), timeoutMs = 2_000): SmtpMailer {
  return new SmtpMailer({ url, timeoutMs, concurrency: config.concurrency });
}

export function makeWorker(
  database: Database,
  mailer: Mailer,
  config = fastConfig(),
  extra: Partial<
    Pick<WorkerDeps, "clock" | "workerId" | "unsubscribe" | "suppression" | "copies" | "returnPath">
  > = {},
): DeliveryWorker {
  return new DeliveryWorker({
    store: new KyselyDeliveryStore(database),
    mailer,
    config,
    from: FROM,
    ...extra,
  });
}

export function makeScheduler(database: Database, clock?: Clock): Scheduler {
  return new Scheduler({ store: new KyselyRunsStore(database), intervalMs: 50, ...(clock ? { clock } : {}) });
}

export async function runRow(database: Database, runId: number) {
  return database.db.selectFrom("runs").selectAll().where("id", "=", runId).executeTakeFirstOrThrow();
}

export async function finishedRun(database: Database, runId: number, timeoutMs = 20_000) {
  return eventually(
    async () => {
      const run = await runRow(database, runId);
      return run.status !== "sending" ? run : undefined;
    },
    { timeoutMs },
  );
}

export async function deliveriesOf(database: Database, runId: number) {
  return database.db.selectFrom("deliveries").selectAll().where("run_id", "=", runId).orderBy("id").execute();
}

export class FakeClock implements Clock {
  constructor(private t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/**
 * Puts a run's first three deliveries in the state a run waiting for a retry is in: the first sent, the
 * second failed for good (550 5.1.1 with `failedText`), the third pending with one try used, due at
 * `retryAt` (451 with `waitingText`). Returns the three rows as they were before.
 */
export async function sentFailedWaiting(
  database: Database,
  runId: number,
  texts: { failed: string; waiting: string; retryAt: string },
) {
  const [sent, failed, waiting] = await deliveriesOf(database, runId);
  await database.db
    .updateTable("deliveries")
    .set({ status: "sent", last_code: 250 })
    .where("id", "=", sent!.id)
    .execute();
  await database.db
    .updateTable("deliveries")
    .set({ status: "failed", tries: 1, last_code: 550, last_enhanced: "5.1.1", last_text: texts.failed })
    .where("id", "=", failed!.id)
    .execute();
  await database.db
    .updateTable("deliveries")
    .set({ tries: 1, next_attempt_at: texts.retryAt, last_code: 451, last_text: texts.waiting })
    .where("id", "=", waiting!.id)
    .execute();
  return [sent!, failed!, waiting!] as const;
}
