/**
 * The worker: claims due deliveries in batches under a lease, sends them with bounded concurrency and an
 * optional rate limit, and records results in batches. A circuit breaker pauses all sending while the
 * mail server is down. stop() is two-phase: stop claiming, finish what is in flight, record it, release
 * the rest. Knows nothing of SQL or SMTP: it talks to a WorkerStore and a Mailer.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type Clock, systemClock } from "../shared/time.js";
import { decideRetry, type RetryPolicy } from "./backoff.js";
import { type BreakerSnapshot, CircuitBreaker } from "./breaker.js";
import { type Classified, classify } from "./classify.js";
import { envelopeAddress, messageIdFor, type PreparedMessage, prepareMessage } from "./message.js";
import type { ClaimedDelivery, DeliveryResult, EngineConfig, Mailer, WorkerStore } from "./ports.js";

export interface DeliveryLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: DeliveryLogger = { info() {}, warn() {}, error() {} };

export interface WorkerDeps {
  store: WorkerStore;
  mailer: Mailer;
  config: EngineConfig;
  /** The From header (SMTP_FROM). */
  from: string;
  clock?: Clock;
  logger?: DeliveryLogger;
  workerId?: string;
  random?: () => number;
}

/** A held run (disabled mailing, blocked owner) is looked at again after this long. */
const HOLD_MS = 60_000;
const PREPARED_CACHE = 16;

export class DeliveryWorker {
  readonly id: string;
  private readonly store: WorkerStore;
  private readonly mailer: Mailer;
  private readonly config: EngineConfig;
  private readonly clock: Clock;
  private readonly logger: DeliveryLogger;
  private readonly random: () => number;
  private readonly from: string;
  private readonly envelopeFrom: string;
  private readonly breaker: CircuitBreaker;
  private readonly policy: RetryPolicy;

  private queue: ClaimedDelivery[] = [];
  private results: DeliveryResult[] = [];
  private readonly prepared = new Map<number, { message: PreparedMessage; subject: string }>();
  private inFlight = 0;
  private stopping = false;
  private running: Promise<void> | null = null;
  private claiming: Promise<void> | null = null;
  private flushing: Promise<void> | null = null;
  private readonly sleepers = new Set<() => void>();
  private nextSlot = 0;
  private lastMaintenance = 0;
  private startedAt = new Date(0);

  constructor(deps: WorkerDeps) {
    this.store = deps.store;
    this.mailer = deps.mailer;
    this.config = deps.config;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
    this.random = deps.random ?? Math.random;
    this.id = deps.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.from = deps.from;
    this.envelopeFrom = envelopeAddress(deps.from);
    this.breaker = new CircuitBreaker(deps.config.breaker);
    this.policy = {
      baseMs: deps.config.retryBaseMs,
      maxTries: deps.config.maxTries,
      maxAgeMs: deps.config.maxAgeMs,
    };
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.startedAt = this.clock.now();
    const lanes = Array.from({ length: this.config.concurrency }, () => this.lane());
    this.running = Promise.all([...lanes, this.ticker()]).then(() => undefined);
  }

  /** Two-phase shutdown: stop claiming, let in-flight sends finish and be recorded, release the rest. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.wakeAll();
    await this.running;
    await this.claiming;
    const now = this.clock.now();
    const unsent = this.queue.splice(0).map((d) => d.id);
    await this.guard("release", () => this.store.release(this.id, unsent, now, now));
    await this.flush();
    await this.guard("heartbeat", () => this.store.removeWorker(this.id));
    this.running = null;
  }

  /** The circuit breaker's state: whether sending is paused, why, and until when. */
  status(): BreakerSnapshot {
    return this.breaker.snapshot();
  }

  private async lane(): Promise<void> {
    for (;;) {
      const next = await this.next();
      if (!next) return;
      await this.sendOne(next.delivery, next.probe);
    }
  }

  /** The next delivery to send, waiting while the breaker is open or nothing is due; null once stopping. */
  private async next(): Promise<{ delivery: ClaimedDelivery; probe: boolean } | null> {
    for (;;) {
      if (this.stopping) return null;
      const gate = this.breaker.gate(this.clock.now());
      if (!gate.go) {
        await this.releaseQueued();
        await this.sleep(gate.waitMs);
        continue;
      }
      if (this.queue.length === 0) await this.refill();
      const delivery = this.queue.shift();
      if (!delivery) {
        if (gate.probe) this.breaker.cancelProbe();
        await this.sleep(this.config.idlePollMs);
        continue;
      }
      // Claim the next batch while this one is being sent, so lanes never wait for the database.
      if (this.queue.length < this.lowWater()) void this.refill();
      return { delivery, probe: gate.probe };
    }
  }

  private claimSize(): number {
    const { batchSize, rate, concurrency } = this.config;
    // With a rate limit, hold no more than a few seconds of work, so other workers get a share.
    return rate > 0
      ? Math.max(1, Math.min(batchSize, Math.max(concurrency, Math.ceil(rate * 5))))
      : batchSize;
  }

  private lowWater(): number {
    return Math.max(this.config.concurrency, Math.floor(this.claimSize() / 2));
  }

  private refill(): Promise<void> {
    this.claiming ??= this.claim().finally(() => {
      this.claiming = null;
    });
    return this.claiming;
  }

  private async claim(): Promise<void> {
    if (this.stopping) return;
    const want = this.claimSize() - this.queue.length;
    if (want <= 0) return;
    const now = this.clock.now();
    const claimed = await this.guard("claim", () =>
      this.store.claim(this.id, want, now, new Date(now.getTime() + this.config.leaseMs)),
    );
    if (!claimed || claimed.length === 0) return;
    const runIds = [...new Set(claimed.map((d) => d.runId))];
    const states = (await this.guard("claim", () => this.store.runStates(runIds))) ?? [];
    const held = new Set<number>();
    for (const state of states) {
      if (state.heldBecause) held.add(state.runId);
      else if (!(await this.ensurePrepared(state.runId))) held.add(state.runId);
    }
    const ready = claimed.filter((d) => !held.has(d.runId));
    const waiting = claimed.filter((d) => held.has(d.runId)).map((d) => d.id);
    if (waiting.length > 0) {
      const until = new Date(now.getTime() + HOLD_MS);
      await this.guard("hold", () => this.store.release(this.id, waiting, now, until));
      for (const runId of held) await this.guard("hold", () => this.store.holdRun(runId, until, now));
    }
    this.queue.push(...ready);
  }

  private async ensurePrepared(runId: number): Promise<boolean> {
    if (this.prepared.has(runId)) return true;
    const content = await this.guard("run", () => this.store.runContent(runId));
    if (!content) return false;
    const message = await prepareMessage({
      from: this.from,
      subject: content.subject,
      body: content.body,
      date: this.clock.now(),
    });
    if (this.prepared.size >= PREPARED_CACHE) this.prepared.delete(this.prepared.keys().next().value!);
    this.prepared.set(runId, { message, subject: content.subject });
    return true;
  }

  private async sendOne(delivery: ClaimedDelivery, probe: boolean): Promise<void> {
    this.inFlight++;
    try {
      await this.waitForRate();
      const prepared = this.prepared.get(delivery.runId);
      const messageId = messageIdFor(delivery.runId, delivery.id, this.from);
      let verdict: Classified;
      let raw: Buffer | null = null;
      try {
        raw = prepared ? prepared.message.forRecipient(delivery.email, messageId) : null;
      } catch {
        raw = null;
      }
      if (!prepared || !raw) {
        verdict = classify({
          ok: false,
          stage: "local",
          responseCode: 553,
          response: "553 5.1.3 Invalid recipient address",
        });
      } else {
        const outcome = await this.mailer.send({
          deliveryId: delivery.id,
          from: this.envelopeFrom,
          fromHeader: this.from,
          to: delivery.email,
          subject: prepared.subject,
          raw,
        });
        verdict = classify(outcome);
      }
      const now = this.clock.now();
      if (this.breaker.record(now, verdict)) {
        this.logger.warn(
          { reason: verdict.text, resumesAt: this.breaker.snapshot().resumesAt, probe },
          "mail server unreachable: sending paused",
        );
        void this.beat();
      }
      this.results.push(this.resultOf(delivery, verdict, now, messageId));
      if (this.results.length >= this.config.batchSize) void this.flush();
    } finally {
      this.inFlight--;
    }
  }

  private resultOf(delivery: ClaimedDelivery, c: Classified, now: Date, messageId: string): DeliveryResult {
    const base = { id: delivery.id, runId: delivery.runId, code: c.code, enhanced: c.enhanced, messageId };
    const nowIso = now.toISOString();
    if (c.verdict === "sent") {
      return {
        ...base,
        status: "sent",
        triesIncrement: 1,
        nextAttemptAt: null,
        text: c.text,
        sentAt: nowIso,
      };
    }
    if (c.verdict === "permanent") {
      return {
        ...base,
        status: "failed",
        triesIncrement: 1,
        nextAttemptAt: null,
        text: c.text,
        sentAt: null,
      };
    }
    const triesIncrement = c.serverDown ? 0 : 1;
    const decision = decideRetry(this.policy, {
      tries: delivery.tries + triesIncrement,
      createdAt: new Date(delivery.createdAt),
      now,
      serverDown: c.serverDown,
      random: this.random(),
    });
    return decision.retry
      ? {
          ...base,
          status: "pending",
          triesIncrement,
          nextAttemptAt: decision.at.toISOString(),
          text: c.text,
          sentAt: null,
        }
      : {
          ...base,
          status: "failed",
          triesIncrement,
          nextAttemptAt: null,
          text: `${c.text} (${decision.reason})`,
          sentAt: null,
        };
  }

  /** Writes buffered results (one statement) and finishes the runs they completed. */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      while (this.results.length > 0) {
        const batch = this.results.splice(0);
        const now = this.clock.now();
        const ok = await this.guard("record", async () => {
          await this.store.record(this.id, batch, now);
          return true;
        });
        if (!ok) {
          // The database is unreachable: keep the results and try again on the next tick.
          this.results.unshift(...batch);
          return;
        }
        const done = [...new Set(batch.filter((r) => r.status !== "pending").map((r) => r.runId))];
        if (done.length > 0) {
          const finished = await this.guard("finish", () => this.store.finishRunsIfDone(done, now));
          for (const runId of finished ?? []) {
            this.prepared.delete(runId);
            this.logger.info({ runId }, "run finished");
          }
        }
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Flushes results every flushMs; renews leases, reclaims expired ones and beats the heartbeat. */
  private async ticker(): Promise<void> {
    const maintenanceMs = Math.max(100, Math.min(5_000, Math.floor(this.config.leaseMs / 3)));
    while (!this.stopping) {
      await this.sleep(this.config.flushMs);
      await this.flush();
      const t = Date.now();
      if (t - this.lastMaintenance >= maintenanceMs) {
        this.lastMaintenance = t;
        await this.maintain();
      }
    }
  }

  private async maintain(): Promise<void> {
    const now = this.clock.now();
    if (this.queue.length > 0 || this.inFlight > 0) {
      await this.guard("lease", () =>
        this.store.renewLeases(this.id, new Date(now.getTime() + this.config.leaseMs), now),
      );
    }
    const reclaimed = await this.guard("lease", () => this.store.reclaimExpired(now));
    if (reclaimed) this.logger.warn({ reclaimed }, "reclaimed deliveries whose worker's lease expired");
    await this.beat();
  }

  private async beat(): Promise<void> {
    const snap = this.breaker.snapshot();
    const now = this.clock.now();
    await this.guard("heartbeat", () =>
      this.store.heartbeat({
        workerId: this.id,
        host: hostname(),
        pid: process.pid,
        state: this.stopping ? "stopping" : snap.state === "closed" ? "running" : "paused",
        reason: snap.reason,
        pausedUntil: snap.resumesAt?.toISOString() ?? null,
        startedAt: this.startedAt.toISOString(),
        now: now.toISOString(),
      }),
    );
  }

  /** While paused, claimed deliveries go back, so another worker (or this one, later) can send them. */
  private async releaseQueued(): Promise<void> {
    if (this.queue.length === 0) return;
    await this.claiming;
    const ids = this.queue.splice(0).map((d) => d.id);
    const now = this.clock.now();
    await this.guard("release", () =>
      this.store.release(this.id, ids, now, this.breaker.snapshot().resumesAt ?? now),
    );
  }

  private async waitForRate(): Promise<void> {
    if (this.config.rate <= 0) return;
    const interval = 1000 / this.config.rate;
    const t = performance.now();
    const at = Math.max(t, this.nextSlot);
    this.nextSlot = at + interval;
    if (at > t) await this.sleep(at - t, true);
  }

  /** Sleeps for ms, or until stop() (unless uninterruptible: a rate wait before a send already taken). */
  private sleep(ms: number, uninterruptible = false): Promise<void> {
    if (this.stopping && !uninterruptible) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      if (!uninterruptible) this.sleepers.add(done);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /** Runs a store call; a database error is logged and reported as undefined instead of killing a lane. */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      this.logger.error({ err: error, what }, "delivery store error");
      return undefined;
    }
  }
}
