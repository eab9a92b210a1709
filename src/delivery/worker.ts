/**
 * The worker: claims due deliveries in batches under a lease tied to its heartbeat, sends them with bounded
 * concurrency and an optional rate limit, and records results (and each try's history) in batches. A
 * circuit breaker pauses all sending while the relay is down or misconfigured. While results cannot be
 * written, it sends nothing more and keeps its leases alive, so what was sent is never sent again.
 * stop() is two-phase: stop claiming, finish what is in flight, record it, release the rest. Knows nothing
 * of SQL or SMTP: it talks to a WorkerStore and a Mailer.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type Clock, systemClock } from "../shared/time.js";
import { decideRetry, type RetryPolicy } from "./backoff.js";
import { type BreakerSnapshot, CircuitBreaker } from "./breaker.js";
import { type Classified, classify } from "./classify.js";
import { PlainCopies } from "./copies.js";
import { DEFAULT_DOMAIN_LIMITS, DomainGate, isSlowDown } from "./domains.js";
import { messageIdFor } from "./message.js";
import type {
  ClaimedDelivery,
  CopyBuilder,
  DeliveryResult,
  EngineConfig,
  Mailer,
  PreparedCopies,
  ReturnPath,
  RunState,
  SuppressionCheck,
  UnsubscribeLinks,
  WorkerDetails,
  WorkerStore,
} from "./ports.js";
import { bucketPolicy, grantSize } from "./rate.js";
import { nextOpening } from "./window.js";

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
  /** Each copy's List-Unsubscribe and body link; without it copies carry none. */
  unsubscribe?: UnsubscribeLinks;
  /** Re-checks claimed deliveries against the suppression list before they are sent. */
  suppression?: SuppressionCheck;
  /** Makes each run's copies; by default the run's subject and body as plain text (copies.ts). */
  copies?: CopyBuilder;
  /** Each copy's envelope sender (VERP); without it, SMTP_FROM's address. */
  returnPath?: ReturnPath;
}

/** A delivery whose domain must wait longer than this goes back to the database instead of holding a place. */
const SLOW_DOMAIN_RELEASE_MS = 2_000;
/** The bucket SEND_RATE is kept in (one for the installation). */
const SEND_BUCKET = "send";
/** A held run (disabled mailing, blocked owner) is looked at again after this long. */
const HOLD_MS = 60_000;
const PREPARED_CACHE = 16;
/** A result that fails to be written alone this many times is written with a placeholder text instead. */
const SOLO_FAILURES_BEFORE_PLACEHOLDER = 3;
/** With this many results refused one by one, the database is refusing more than bad rows: sending waits. */
const STUCK_LIMIT = 10;
/** On stop, how long to keep trying to record what was sent before giving up (the leases then expire). */
const STOP_RECORD_MS = 10_000;

/** The workers alive in this process (a dead predecessor may have had the same pid, e.g. pid 1 in Docker). */
const liveInProcess = new Set<string>();

/** Whether a process with this pid exists on this host. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class DeliveryWorker {
  readonly id: string;
  private readonly store: WorkerStore;
  private readonly mailer: Mailer;
  private readonly config: EngineConfig;
  private readonly clock: Clock;
  private readonly logger: DeliveryLogger;
  private readonly random: () => number;
  private readonly breaker: CircuitBreaker;
  private readonly policy: RetryPolicy;
  private readonly suppression: SuppressionCheck | undefined;
  private readonly returnPath: ReturnPath | undefined;

  private queue: ClaimedDelivery[] = [];
  private results: DeliveryResult[] = [];
  /** Results the database refused when written alone, with how often; retried alone on each flush. */
  private readonly stuck = new Map<number, { result: DeliveryResult; failures: number }>();
  /** True while results cannot be written: nothing more is sent or claimed until a write succeeds. */
  private blocked = false;
  /** Since when every heartbeat has been written (null while they fail). */
  private healthySince: number | null = null;
  private firstBeat: Promise<void> | null = null;
  private readonly copies: CopyBuilder;
  private readonly prepared = new Map<number, PreparedCopies>();
  /**
   * Deliveries taken by a lane and not yet on record: being sent, or sent with the result still to be
   * written. Never more than SEND_CONCURRENCY, so a hard crash re-sends at most that many.
   */
  private unsettled = 0;
  /** Lanes with a send under way (their result not yet buffered). */
  private sending = 0;
  /** Lanes waiting for their result to be written, by delivery id. */
  private readonly waiters = new Map<number, () => void>();
  private stopping = false;
  private running: Promise<void> | null = null;
  private claiming: Promise<void> | null = null;
  private flushing: Promise<void> | null = null;
  private readonly sleepers = new Set<() => void>();
  /** Tokens of the shared send rate granted to this worker and not yet used. */
  private tokens = 0;
  /** Per recipient domain: limits, and slowing down a domain that asks for it. */
  private readonly domains: DomainGate;
  private granting: Promise<void> | null = null;
  private bucketFailing = false;
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
    this.breaker = new CircuitBreaker(deps.config.breaker);
    this.domains = new DomainGate(deps.config.domainLimits ?? DEFAULT_DOMAIN_LIMITS);
    this.copies =
      deps.copies ?? new PlainCopies(deps.store, deps.from, deps.unsubscribe, () => this.clock.now());
    this.suppression = deps.suppression;
    this.returnPath = deps.returnPath;
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
    liveInProcess.add(this.id);
    this.firstBeat = null;
    const lanes = Array.from({ length: this.config.concurrency }, () => this.lane());
    this.running = Promise.all([...lanes, this.ticker(), this.takeOverDeadPredecessors()]).then(
      () => undefined,
    );
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
    // What was sent must be recorded, or it will be sent again: keep trying for a while.
    const deadline = Date.now() + STOP_RECORD_MS;
    await this.flush();
    while (this.unrecorded() > 0 && Date.now() < deadline) {
      await this.sleep(Math.min(250, this.config.flushMs * 5), true);
      await this.flush();
    }
    if (this.unrecorded() > 0) {
      this.logger.error(
        { unrecorded: this.unrecorded() },
        "stopping with results the database would not take: those deliveries may be sent again",
      );
    } else {
      await this.guard("heartbeat", () => this.store.removeWorker(this.id));
    }
    liveInProcess.delete(this.id);
    this.running = null;
  }

  /** Deliveries became due (send now, retry): idle lanes look at once instead of at their next poll. */
  wake(): void {
    if (!this.running || this.stopping) return;
    this.wakeAll();
    void this.dropHeldQueued();
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
      // A delivery counts until its result is written, so sent-but-unrecorded stays within
      // SEND_CONCURRENCY; results kept aside (stuck, or while blocked) take a lane's place until then.
      if (this.held() || this.unsettled >= this.config.concurrency) {
        // Results cannot be written: sending more would only add to what could be sent twice.
        await this.sleep(this.config.flushMs);
        continue;
      }
      const gate = this.breaker.gate(this.clock.now());
      if (!gate.go) {
        await this.releaseQueued();
        await this.sleep(gate.waitMs);
        continue;
      }
      if (this.queue.length === 0) await this.refill();
      const taken = this.takeStartable();
      if (!taken.delivery) {
        if (gate.probe) this.breaker.cancelProbe();
        if (taken.waitMs === null) {
          await this.sleep(this.config.idlePollMs);
        } else {
          // Everything queued is for domains that must wait: what waits long goes back, so others are claimed.
          await this.releaseSlowDomains();
          await this.sleep(Math.min(taken.waitMs, this.config.idlePollMs));
        }
        continue;
      }
      const delivery = taken.delivery;
      if (this.unsettled >= this.config.concurrency) {
        // Another lane took the last slot while this one waited for the queue.
        this.queue.unshift(delivery);
        if (gate.probe) this.breaker.cancelProbe();
        continue;
      }
      this.unsettled++;
      this.domains.started(DomainGate.domainOf(delivery.email), performance.now());
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
    // No claims before the heartbeat is on record: other workers tell a live worker by its heartbeat.
    if (this.healthySince === null) await this.firstHeartbeat();
    if (this.stopping || this.held() || this.healthySince === null) return;
    const want = this.claimSize() - this.queue.length;
    if (want <= 0) return;
    const now = this.clock.now();
    let claimed = await this.guard("claim", () =>
      this.store.claim(this.id, want, now, new Date(now.getTime() + this.config.leaseMs)),
    );
    if (!claimed || claimed.length === 0) return;
    const sendable = await this.withoutSuppressed(claimed, now);
    if (!sendable || sendable.length === 0) return;
    claimed = sendable;
    const runIds = [...new Set(claimed.map((d) => d.runId))];
    const states = (await this.guard("claim", () => this.store.runStates(runIds))) ?? [];
    const until = this.heldRuns(states, now);
    const held = new Set(until.keys());
    for (const state of states) {
      if (!held.has(state.runId) && !(await this.ensurePrepared(state.runId))) held.add(state.runId);
    }
    // What the copies need besides the run (recipients' names, fields), one query per run; a failure gives
    // that run's deliveries back for later, like a held run's.
    for (const runId of runIds) {
      const prepared = held.has(runId) ? undefined : this.prepared.get(runId);
      if (!prepared) continue;
      const mine = claimed.filter((d) => d.runId === runId);
      const loaded = await this.guard("run", async () => {
        await prepared.load(mine);
        return true;
      });
      if (!loaded) held.add(runId);
    }
    const ready = claimed.filter((d) => !held.has(d.runId));
    await this.hold(
      claimed.filter((d) => held.has(d.runId)),
      held,
      now,
      until,
    );
    this.queue.push(...ready);
  }

  /**
   * The runs that may not send now, each with when to look again: paused, cancelled, disabled or blocked
   * (in HOLD_MS), or outside their mailing's sending window (at its next opening).
   */
  private heldRuns(states: RunState[], now: Date): Map<number, Date> {
    const held = new Map<number, Date>();
    for (const state of states) {
      if (state.heldBecause) held.set(state.runId, new Date(now.getTime() + HOLD_MS));
      else if (state.window) {
        const opens = nextOpening(state.window, state.zone, now);
        if (opens) held.set(state.runId, opens);
      }
    }
    return held;
  }

  /**
   * Gives back the deliveries of held runs (paused or cancelled, disabled mailing, blocked owner) and defers
   * their runs' pending ones; a cancelled run's come back cancelled, and the run finishes once nothing is open.
   */
  private async hold(
    deliveries: ClaimedDelivery[],
    runIds: Set<number>,
    now: Date,
    untilByRun: Map<number, Date> = new Map(),
  ): Promise<void> {
    if (runIds.size === 0) return;
    for (const runId of runIds) {
      const until = untilByRun.get(runId) ?? new Date(now.getTime() + HOLD_MS);
      const ids = deliveries.filter((d) => d.runId === runId).map((d) => d.id);
      if (ids.length > 0) await this.guard("hold", () => this.store.release(this.id, ids, now, until));
      await this.guard("hold", () => this.store.holdRun(runId, until, now));
    }
    const finished = await this.guard("finish", () => this.store.finishRunsIfDone([...runIds], now));
    for (const runId of finished ?? []) this.prepared.delete(runId);
  }

  /**
   * A run paused or cancelled after its deliveries were claimed: those still queued here go back before a
   * lane takes them (checked at each heartbeat and when woken, e.g. by the web's pause or cancel).
   */
  private async dropHeldQueued(): Promise<void> {
    const runIds = [...new Set(this.queue.map((d) => d.runId))];
    if (runIds.length === 0) return;
    const states = await this.guard("claim", () => this.store.runStates(runIds));
    const now = this.clock.now();
    const until = this.heldRuns(states ?? [], now);
    const held = new Set(until.keys());
    if (held.size === 0) return;
    const dropped = this.queue.filter((d) => held.has(d.runId));
    this.queue = this.queue.filter((d) => !held.has(d.runId));
    await this.hold(dropped, held, now, until);
  }

  /**
   * Claimed deliveries whose address was suppressed after their run was created are marked suppressed and
   * dropped (their runs finished when nothing else is open). When the check itself fails, the whole batch
   * goes back: a suppressed address is never mailed. Null then.
   */
  private async withoutSuppressed(claimed: ClaimedDelivery[], now: Date): Promise<ClaimedDelivery[] | null> {
    if (!this.suppression) return claimed;
    const check = this.suppression;
    const ids = await this.guard("suppression", () => check.suppressClaimed(this.id, claimed, now));
    if (!ids) {
      const retryAt = new Date(now.getTime() + this.config.idlePollMs);
      const all = claimed.map((d) => d.id);
      await this.guard("release", () => this.store.release(this.id, all, now, retryAt));
      return null;
    }
    if (ids.length === 0) return claimed;
    const gone = new Set(ids);
    const runIds = [...new Set(claimed.filter((d) => gone.has(d.id)).map((d) => d.runId))];
    await this.guard("finish", () => this.store.finishRunsIfDone(runIds, now));
    return claimed.filter((d) => !gone.has(d.id));
  }

  private async ensurePrepared(runId: number): Promise<boolean> {
    if (this.prepared.has(runId)) return true;
    const prepared = await this.guard("run", () => this.copies.prepare(runId));
    if (!prepared) return false;
    if (this.prepared.size >= PREPARED_CACHE) this.prepared.delete(this.prepared.keys().next().value!);
    this.prepared.set(runId, prepared);
    return true;
  }

  /** Sends one delivery (its slot in `unsettled` already taken) and waits until its result is written. */
  private async sendOne(delivery: ClaimedDelivery, probe: boolean): Promise<void> {
    let pushed = false;
    try {
      const prepared = this.prepared.get(delivery.runId);
      const messageId = prepared ? messageIdFor(delivery.runId, delivery.id, prepared.fromHeader) : null;
      let verdict: Classified;
      let raw: Buffer | null = null;
      try {
        raw = prepared && messageId ? prepared.copy(delivery, messageId) : null;
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
        this.sending++;
        const outcome = await this.mailer
          .send({
            deliveryId: delivery.id,
            from: this.returnPath?.envelopeFor(delivery.id) ?? prepared.envelopeFrom,
            fromHeader: prepared.fromHeader,
            to: delivery.email,
            subject: prepared.subject,
            raw,
            beforeTransmit: this.paceOnce(),
          })
          .finally(() => {
            this.sending--;
          });
        verdict = classify(outcome);
      }
      const now = this.clock.now();
      const domain = DomainGate.domainOf(delivery.email);
      this.domains.finished(domain);
      // "Slow down" from the recipient's domain (421 or 4.7.x when the recipient is judged) is about that
      // domain: it is slowed, and the breaker, which pauses everyone, does not count it.
      const slowDown =
        verdict.verdict === "temporary" &&
        (verdict.stage === "rcpt" || verdict.stage === "data") &&
        isSlowDown(verdict.code, verdict.enhanced);
      if (slowDown) {
        this.domains.slowDown(domain, performance.now());
        this.logger.warn(
          { domain, reply: verdict.text, rate: this.domains.rateOf(domain, performance.now()) },
          "the recipient's domain asks to slow down: sending to it slowed",
        );
      }
      // A message the server chokes on (lost mid-DATA) is the run's message: its recipients count once.
      const key =
        verdict.verdict === "temporary" && verdict.usesTry ? `run:${delivery.runId}` : `d:${delivery.id}`;
      if (!slowDown && this.breaker.record(now, { server: verdict.server, text: verdict.text, key })) {
        this.logger.warn(
          { reason: verdict.text, stage: verdict.stage, resumesAt: this.breaker.snapshot().resumesAt, probe },
          "mail server unreachable or refusing: sending paused",
        );
        void this.beat();
      }
      // The lane waits until its result is on record (group commit: whatever the lanes have finished is
      // written in one statement as soon as the previous write is done). So a hard crash can only send
      // again what was in flight: at most SEND_CONCURRENCY deliveries.
      const result = this.resultOf(delivery, verdict, now, messageId);
      const recorded = new Promise<void>((resolve) => this.waiters.set(result.id, resolve));
      this.results.push(result);
      pushed = true;
      void this.flush();
      await recorded;
    } finally {
      if (!pushed) this.unsettled--;
    }
  }

  private resultOf(
    delivery: ClaimedDelivery,
    c: Classified,
    now: Date,
    messageId: string | null,
  ): DeliveryResult {
    const nowIso = now.toISOString();
    const base = {
      id: delivery.id,
      runId: delivery.runId,
      code: c.code,
      enhanced: c.enhanced,
      text: c.text,
      messageId,
      triesIncrement: c.usesTry ? (1 as const) : (0 as const),
      nextAttemptAt: null,
      sentAt: null,
    };
    const attempt = (outcome: DeliveryResult["attempt"]["outcome"]) => ({
      at: nowIso,
      stage: c.stage,
      outcome,
      relay: c.relay,
    });
    if (c.verdict === "sent") {
      return { ...base, status: "sent", sentAt: nowIso, attempt: attempt("sent") };
    }
    if (c.verdict === "permanent") return { ...base, status: "failed", attempt: attempt("failed") };
    const decision = decideRetry(this.policy, {
      tries: delivery.tries + base.triesIncrement,
      createdAt: new Date(delivery.createdAt),
      now,
      usesTry: c.usesTry,
      random: this.random(),
    });
    if (!decision.retry) {
      return {
        ...base,
        status: "failed",
        text: `${c.text} (${decision.reason})`,
        attempt: attempt("failed"),
      };
    }
    return {
      ...base,
      status: "pending",
      nextAttemptAt: decision.at.toISOString(),
      attempt: attempt(c.usesTry ? "retry" : "relay"),
    };
  }

  /**
   * The first queued delivery whose domain may take a message now; otherwise how long until one may (null:
   * nothing queued).
   */
  private takeStartable(): { delivery: ClaimedDelivery | null; waitMs: number | null } {
    const now = performance.now();
    let waitMs: number | null = null;
    for (let i = 0; i < this.queue.length; i++) {
      const wait = this.domains.waitMs(DomainGate.domainOf(this.queue[i]!.email), now);
      if (wait === 0) return { delivery: this.queue.splice(i, 1)[0]!, waitMs: null };
      waitMs = Math.min(waitMs ?? Infinity, wait);
    }
    return { delivery: null, waitMs };
  }

  /** Queued deliveries whose domain must wait longer than SLOW_DOMAIN_RELEASE_MS go back, due when it may. */
  private async releaseSlowDomains(): Promise<void> {
    const now = performance.now();
    const wall = this.clock.now();
    const back = new Map<number, number[]>();
    const keep: ClaimedDelivery[] = [];
    for (const d of this.queue) {
      const wait = this.domains.waitMs(DomainGate.domainOf(d.email), now);
      if (wait <= SLOW_DOMAIN_RELEASE_MS) {
        keep.push(d);
        continue;
      }
      const at = Math.ceil(wait / 1000) * 1000;
      const ids = back.get(at) ?? [];
      ids.push(d.id);
      back.set(at, ids);
    }
    if (back.size === 0) return;
    this.queue = keep;
    for (const [waitMs, ids] of back) {
      await this.guard("release", () =>
        this.store.release(this.id, ids, wall, new Date(wall.getTime() + waitMs)),
      );
    }
  }

  /** Whether sending waits because results are not being written. */
  private held(): boolean {
    return this.blocked || this.stuck.size >= STUCK_LIMIT;
  }

  /** Results sent (or tried) but not yet on record. */
  private unrecorded(): number {
    return this.results.length + this.stuck.size;
  }

  /**
   * Writes buffered results (one statement for the batch) and finishes the runs they completed. A batch
   * the database refuses is retried row by row, so one bad row never blocks the others: the rows refused
   * alone are kept aside ("stuck") and retried alone. When no row at all can be written, the database is
   * refusing writes (down, locked, full): the worker is blocked, it sends and claims nothing, and keeps its
   * leases, until a later flush gets the results written.
   */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      await this.flushStuck();
      while (this.results.length > 0) {
        // Lanes still waiting for a reply are about to add theirs: one turn of the event loop lets them
        // join this write instead of each paying for a transaction of its own.
        if (this.results.length < this.config.concurrency / 2 && this.sending > 0) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        const batch = this.results.splice(0, this.config.batchSize);
        const now = this.clock.now();
        const error = await this.tryRecord(batch, now);
        if (!error) {
          this.settle(batch.length);
          this.wakeLanes(batch);
          await this.finishRuns(batch, now);
          continue;
        }
        const { written, refused } =
          batch.length > 1 ? await this.recordOneByOne(batch, now) : { written: [], refused: batch };
        if (written.length === 0) {
          this.results.unshift(...batch);
          this.block(error);
          this.wakeLanes(batch);
          return;
        }
        for (const result of refused) {
          this.stuck.set(result.id, { result, failures: 1 });
          this.logger.error(
            { err: error, deliveryId: result.id },
            "a delivery's result could not be written",
          );
        }
        this.settle(written.length);
        this.wakeLanes(batch);
        await this.finishRuns(written, now);
      }
      if (this.blocked) this.unblock();
    })().finally(() => {
      this.flushing = null;
      // A result pushed while this flush was finishing is written now, not on the next tick.
      if (this.results.length > 0 && !this.blocked) void this.flush();
    });
    return this.flushing;
  }

  /** Deliveries whose results are now on record. */
  private settle(count: number): void {
    this.unsettled -= count;
  }

  /** Lets the lanes waiting for these results go on (written, kept aside, or kept while blocked). */
  private wakeLanes(batch: DeliveryResult[]): void {
    for (const result of batch) {
      this.waiters.get(result.id)?.();
      this.waiters.delete(result.id);
    }
  }

  /** Writes a refused batch row by row. Two refusals before any success mean every row would be refused. */
  private async recordOneByOne(
    batch: DeliveryResult[],
    now: Date,
  ): Promise<{ written: DeliveryResult[]; refused: DeliveryResult[] }> {
    const written: DeliveryResult[] = [];
    const refused: DeliveryResult[] = [];
    for (const [i, result] of batch.entries()) {
      if (written.length === 0 && refused.length >= 2) return { written, refused: batch.slice(i - 2) };
      if (await this.tryRecord([result], now)) refused.push(result);
      else written.push(result);
    }
    return { written, refused };
  }

  /** Stuck results are retried alone; after a few refusals, with a placeholder instead of the reply text. */
  private async flushStuck(): Promise<void> {
    for (const [id, entry] of [...this.stuck]) {
      const now = this.clock.now();
      const result =
        entry.failures >= SOLO_FAILURES_BEFORE_PLACEHOLDER
          ? { ...entry.result, text: `${entry.result.code ?? "No"} reply (its text could not be stored)` }
          : entry.result;
      if (await this.tryRecord([result], now)) {
        entry.failures++;
        continue;
      }
      this.stuck.delete(id);
      this.settle(1);
      await this.finishRuns([result], now);
    }
  }

  private async tryRecord(batch: DeliveryResult[], now: Date): Promise<Error | null> {
    try {
      await this.store.record(this.id, batch, now);
      return null;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  private async finishRuns(batch: DeliveryResult[], now: Date): Promise<void> {
    const done = [...new Set(batch.filter((r) => r.status !== "pending").map((r) => r.runId))];
    if (done.length === 0) return;
    const finished = await this.guard("finish", () => this.store.finishRunsIfDone(done, now));
    for (const runId of finished ?? []) {
      this.prepared.delete(runId);
      this.logger.info({ runId }, "run finished");
    }
  }

  private block(error: Error): void {
    if (!this.blocked) {
      this.logger.error(
        { err: error, unrecorded: this.unrecorded() },
        "results cannot be written: sending stops until the database takes them; leases are kept",
      );
    }
    this.blocked = true;
  }

  private unblock(): void {
    this.blocked = false;
    this.logger.info({}, "results are being written again: sending resumes");
  }

  /** The first maintenance (heartbeat, takeovers), shared by the ticker and the first claims. */
  private firstHeartbeat(): Promise<void> {
    this.firstBeat ??= this.maintain();
    return this.firstBeat;
  }

  /** Flushes results every flushMs; beats the heartbeat, renews leases and reclaims dead workers' claims. */
  private async ticker(): Promise<void> {
    await this.firstHeartbeat();
    while (!this.stopping) {
      await this.sleep(this.config.flushMs);
      await this.flush();
      const t = Date.now();
      // While results cannot be written, leases are renewed on every tick.
      if (t - this.lastMaintenance >= this.config.heartbeatMs || this.held()) await this.maintain();
    }
  }

  private async maintain(): Promise<void> {
    this.lastMaintenance = Date.now();
    const now = this.clock.now();
    // Leases first: while results cannot be written, they are what keeps the sent from being sent again.
    if (this.queue.length > 0 || this.unsettled > 0 || this.claiming) {
      await this.guard("lease", () =>
        this.store.renewLeases(this.id, new Date(now.getTime() + this.config.leaseMs), now),
      );
    }
    await this.dropHeldQueued();
    const beaten = await this.beat();
    if (!beaten) {
      this.healthySince = null;
      return;
    }
    this.healthySince ??= Date.now();
    // Only a worker that has itself been beating for a whole stale period judges others dead: after an
    // outage of the database every heartbeat is old, and the others get that long to beat again.
    if (Date.now() - this.healthySince >= this.config.staleAfterMs) {
      const staleBefore = new Date(now.getTime() - this.config.staleAfterMs);
      const reclaimed = await this.guard("lease", () =>
        this.store.reclaimFromDeadWorkers({ deadWorkerIds: [], staleBefore, now }),
      );
      if (reclaimed)
        this.logger.warn({ reclaimed }, "took back the claims of a worker whose heartbeat stopped");
    }
    const expired = await this.guard("lease", () => this.store.reclaimExpired(now));
    if (expired)
      this.logger.warn({ reclaimed: expired }, "reclaimed deliveries whose worker's lease expired");
  }

  /**
   * A worker that died on this host (kill -9, power loss) left its heartbeat row and its claims: its
   * restarted successor takes them back at once instead of waiting for the heartbeat to go stale.
   */
  private async takeOverDeadPredecessors(): Promise<void> {
    const host = hostname();
    const workers = (await this.guard("heartbeat", () => this.store.workersOnHost(host))) ?? [];
    const dead = workers
      .filter((w) => w.workerId !== this.id && !liveInProcess.has(w.workerId))
      .filter((w) => w.pid === process.pid || !processAlive(w.pid))
      .map((w) => w.workerId);
    if (dead.length === 0) return;
    const now = this.clock.now();
    const reclaimed = await this.guard("lease", () =>
      this.store.reclaimFromDeadWorkers({ deadWorkerIds: dead, staleBefore: null, now }),
    );
    this.logger.warn({ dead, reclaimed }, "took back the claims of a dead worker on this host");
  }

  /** Writes the heartbeat row; false when the database refused it. */
  private async beat(): Promise<boolean> {
    const snap = this.breaker.snapshot();
    const now = this.clock.now();
    const blocked = this.held() ? "Results cannot be written to the database; sending waits." : null;
    const ok = await this.guard("heartbeat", async () => {
      await this.store.heartbeat({
        workerId: this.id,
        host: hostname(),
        pid: process.pid,
        state: this.stopping ? "stopping" : snap.state === "closed" && !blocked ? "running" : "paused",
        reason: blocked ?? snap.reason,
        pausedUntil: snap.resumesAt?.toISOString() ?? null,
        startedAt: this.startedAt.toISOString(),
        now: now.toISOString(),
        details: this.details(),
      });
      return true;
    });
    return ok === true;
  }

  private details(): WorkerDetails | undefined {
    const relays = this.mailer.relayStatus?.();
    const slowedDomains = this.domains.slowedDomains(performance.now());
    if (!relays && slowedDomains.length === 0) return undefined;
    return { ...(relays ? { relays } : {}), ...(slowedDomains.length > 0 ? { slowedDomains } : {}) };
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

  /** The hook a mailer calls when it is about to hand a message over: one token per message, even if retried. */
  private paceOnce(): (() => Promise<void>) | undefined {
    if (this.config.rate <= 0) return undefined;
    let paced = false;
    return async () => {
      if (paced) return;
      paced = true;
      await this.waitForRate();
    };
  }

  /**
   * Takes one token of SEND_RATE before a send. Tokens come from the bucket every worker on the database
   * shares, a grant at a time (one request for the whole worker, whichever lane asks first).
   */
  private async waitForRate(): Promise<void> {
    if (this.config.rate <= 0) return;
    for (;;) {
      if (this.tokens > 0) {
        this.tokens--;
        return;
      }
      this.granting ??= this.grant().finally(() => {
        this.granting = null;
      });
      await this.granting;
    }
  }

  private async grant(): Promise<void> {
    const rate = this.config.rate;
    const want = grantSize(rate, this.config.concurrency);
    try {
      const taken = await this.store.takeSendTokens(SEND_BUCKET, bucketPolicy(rate), want, new Date());
      this.bucketFailing = false;
      if (taken.granted > 0) {
        this.tokens += taken.granted;
        return;
      }
      // Workers waiting for the same token wake a little apart.
      await this.sleep(taken.waitMs + 2 * this.random(), true);
    } catch (error) {
      if (!this.bucketFailing) {
        this.logger.error(
          { err: error },
          "the shared send rate cannot be read: this worker paces itself alone",
        );
      }
      this.bucketFailing = true;
      // The database is refusing: this worker alone keeps to the rate (and claims nothing new meanwhile).
      await this.sleep(1000 / rate, true);
      this.tokens++;
    }
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
