/**
 * What the web UI, the JSON API and the CLI call about sending: manual runs, "retry failed", run and
 * delivery pages (with each delivery's tries), progress, reports, the local outbox, sending's state and
 * the next planned sends.
 * Sending itself happens in the worker, never here.
 */
import type { Database } from "../db/database.js";
import type {
  Delivery,
  DeliveryAttempt,
  DeliveryStatus,
  OutboxMessage,
  Role,
  Run,
  RunTrigger,
} from "../db/schema.js";
import { type CursorPage, type CursorQuery, cursorPageOf, decodeCursor, startOf } from "../shared/cursor.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../shared/errors.js";
import { keysetOf, keysetPage, PAGE_SIZE, type Page, pageOf, seekOf } from "../shared/pagination.js";
import { type Clock, systemClock } from "../shared/time.js";
import {
  DeliveryRepository,
  emptyCounts,
  type RetryRefusal,
  type StatusCounts,
} from "./delivery.repository.js";
import type { EngineEvents, WorkerDetails } from "./ports.js";
import { type RunOutcome, runOutcome } from "./run-outcome.js";
import { KyselyRunsStore } from "./runs.store.js";
import { occurrenceAfter } from "./schedule.js";
import type { RelayCheck } from "./smtp.mailer.js";
import { parseResponse, type RunResponse } from "./summary.js";
import { describeWindow, nextOpening, parseSendWindow } from "./window.js";

/** Who is asking: a user (structurally the app's Actor), or null for the system (the CLI). */
export type DeliveryActor = { id: number; role: Role } | null;

export interface Progress extends StatusCounts {
  total: number;
  /** Every delivery is sent or failed. */
  done: boolean;
  /**
   * While the run's deliveries are still being inserted (a chunk at a time, by the engine): how many so
   * far and about how many there will be (the audience's size when it began; null until counted).
   */
  preparing?: { inserted: number; expected: number | null };
}

export type RunView = Run & {
  progress: Progress;
  summary: RunResponse | null;
  /** What the status means in words: Sending, Sent, Partly failed (N), Failed. */
  outcome: RunOutcome;
  outcome_label: string;
};
export type RunDetails = RunView & {
  mailing_name: string;
  owner_id: number;
  /**
   * While the run sends and none of its pending deliveries is due yet (they wait for a retry): when the
   * first one is due. Null otherwise (finished, nothing pending, or something is due right now).
   */
  next_retry_at: string | null;
  /** While the run sends outside its mailing's sending window: the window in words and when it opens. */
  window_wait: { window: string; resumes_at: string; zone: string } | null;
  /** While the run sends: recipient domains being slowed down because they asked to (421 / 4.7.x). */
  slowed_domains: { domain: string; rate: number }[];
};

/** One try of a delivery, as the run page and the API show it. */
export type AttemptView = Omit<DeliveryAttempt, "delivery_id" | "run_id">;

/** A delivery with its last tries (oldest first) and how many earlier ones are not shown. */
export type DeliveryWithAttempts = Delivery & { attempts: AttemptView[]; earlier_attempts: number };

/** The most delivery rows one poll of a run page may ask about (a page of deliveries is PAGE_SIZE). */
export const LIVE_ROWS_MAX = 100;

/** A run's progress with the live state of the rows its page shows. */
export type LiveRun = Progress & {
  outcome: RunOutcome;
  outcome_label: string;
  rows: Pick<Delivery, "id" | "status" | "tries" | "sent_at" | "last_code" | "last_enhanced" | "last_text">[];
};

/** Deliveries finished in one minute ("2026-12-02T18:09", UTC). */
export interface MinuteCounts {
  minute: string;
  sent: number;
  failed: number;
}

/** The most tries shown per delivery (the newest ones). */
export const ATTEMPTS_SHOWN = 20;

export interface MonthReport {
  /** "2026-11" (UTC). */
  month: string;
  runs: number;
  successRuns: number;
  failureRuns: number;
  sent: number;
  failed: number;
  /** Deliveries of finished runs not sent because the address was suppressed. */
  suppressed: number;
  /** Deliveries with a hard or soft bounce (a DSN, the webhook). */
  bounced: number;
  /** Unsubscribes from the month's runs (link, page, mailto, complaint). */
  unsubscribed: number;
  /** Deliveries not sent because their run was cancelled. */
  cancelled: number;
}

/** One owner's sums on the reports page under "All users". */
export interface OwnerReport {
  ownerId: number;
  ownerEmail: string;
  runs: number;
  sent: number;
  failed: number;
  suppressed: number;
  bounced: number;
  unsubscribed: number;
}

export interface SendingStatus {
  /** "outbox": SMTP_URL is not set and mail does not leave the machine. */
  mode: "smtp" | "outbox";
  /** Workers that beat their heartbeat recently. */
  workers: number;
  paused: boolean;
  /** Why sending is paused (the mail server's last error), or null. */
  reason: string | null;
  resumesAt: string | null;
  /** With several relays: each relay's state by name (host:port), as the workers last reported it. */
  relays: Record<string, { up: boolean; downUntil: string | null; lastError: string | null }>;
  /** Recipient domains the workers are slowing down (they answered 421 / 4.7.x), with their rate. */
  slowedDomains: { domain: string; rate: number }[];
}

export type OutboxListItem = Omit<OutboxMessage, "raw">;

export interface DeliveryServiceOptions {
  mode: "smtp" | "outbox";
  clock?: Clock;
  /** A worker whose heartbeat is older than this is considered gone. */
  heartbeatStaleMs?: number;
  /** Told in the run's transaction when a run starts (webhooks/), wired by the composition root. */
  events?: EngineEvents;
  /** Called when deliveries became due now (send now, retry failed): wakes an idle worker. */
  deliveriesDue?: () => void;
  /**
   * Who inserts a new run's deliveries and puts a retry's failed ones back, a chunk per transaction:
   * "here" (default: before sendNow / retryFailed return; the CLI, tests) or "engine" (`serve`'s web: the
   * engine's RunPreparer does it, woken by deliveriesDue, and the run page shows "Preparing…").
   */
  prepareRuns?: "here" | "engine";
  /** Rows per preparation chunk (tests: a small one). */
  prepareChunk?: number;
  /** The SMTP relays (SMTP_URL or SMTP_RELAYS), for the Mail relays page: where (no credentials), a test each. */
  relays?: { address: string; weight: number; limits?: string; check: () => Promise<RelayCheck> }[];
}

/** The Mail relays page: the relay, sending's state as the workers last reported it, and a test's result. */
export interface RelayView {
  mode: "smtp" | "outbox";
  /** host:port and weight of each relay (none: the outbox). */
  relays: { address: string; weight: number; limits: string }[];
  status: SendingStatus;
}

export class DeliveryService {
  private readonly repo: DeliveryRepository;
  private readonly runs: KyselyRunsStore;
  private readonly clock: Clock;

  constructor(
    database: Pick<Database, "db" | "dialect">,
    private readonly options: DeliveryServiceOptions,
  ) {
    this.repo = new DeliveryRepository(database.db);
    this.runs = new KyselyRunsStore(database, options.events, {
      prepare: options.prepareRuns === "engine" ? "engine" : "inline",
      ...(options.prepareChunk ? { chunkSize: options.prepareChunk } : {}),
    });
    this.clock = options.clock ?? systemClock;
  }

  /** Creates a run of the mailing now (the worker sends it). */
  async sendNow(
    actor: DeliveryActor,
    mailingId: number,
    trigger: Exclude<RunTrigger, "schedule">,
  ): Promise<Run> {
    const mailing = await this.repo.findMailing(mailingId);
    if (!mailing || !canView(actor, mailing.owner_id)) throw new NotFoundError("Mailing not found");
    if (!canSend(actor, mailing.owner_id)) throw new ForbiddenError("Only the mailing's owner can send it.");
    if (mailing.disabled_at)
      throw new ConflictError("This mailing is disabled by a manager and cannot be sent.");
    // Also on the command line, which acts for nobody in particular: never send for a refused account.
    if (mailing.owner_blocked_at)
      throw new ConflictError("The mailing's owner is blocked; it cannot be sent.");
    if (!mailing.owner_confirmed_at) {
      throw new ConflictError("The mailing's owner has not confirmed their email; it cannot be sent.");
    }
    const now = this.clock.now();
    const result = await this.runs.createRun({
      mailingId,
      trigger,
      actorUserId: actor?.id ?? null,
      scheduledFor: now.toISOString(),
      now,
    });
    if ("run" in result) {
      this.options.deliveriesDue?.();
      return result.run;
    }
    switch (result.skipped) {
      case "busy":
      case "duplicate":
        throw new ConflictError("A run of this mailing is still sending; wait for it to finish.");
      case "empty":
        throw new ConflictError("This mailing has no recipients yet.");
      case "disabled":
        throw new ConflictError("This mailing is disabled by a manager and cannot be sent.");
      default:
        throw new NotFoundError("Mailing not found");
    }
  }

  /**
   * Sends a run's failed deliveries again, now (recipients deleted since are skipped): a finished run goes
   * back to sending; a run still sending (others waiting for their retry) keeps sending. Their earlier
   * tries stay on record.
   */
  async retryFailed(actor: DeliveryActor, runId: number): Promise<RunDetails> {
    const run = await this.visibleRun(actor, runId);
    if (!canSend(actor, run.owner_id))
      throw new ForbiddenError("Only the mailing's owner can retry its runs.");
    if (run.cancelled_at) throw new ConflictError("This run was cancelled; send the mailing again instead.");
    const result = await this.repo.retryFailed(runId, this.clock.now().toISOString());
    if ("refused" in result) {
      const messages: Record<RetryRefusal, string> = {
        gone: "Run not found",
        preparing: "This run is still being prepared; retry its failures once it is sending.",
        reopened: "This run's failed deliveries are already being sent again.",
        busy: "Another run of this mailing is sending; wait for it to finish.",
        disabled: "This mailing is disabled by a manager and cannot be sent.",
        none: "This run has no failed deliveries to retry.",
      };
      if (result.refused === "gone") throw new NotFoundError(messages.gone);
      throw new ConflictError(messages[result.refused]);
    }
    // The failed deliveries are put back a chunk per transaction (preparation.store.ts 'retry').
    if (this.options.prepareRuns !== "engine")
      await this.runs.preparation.prepare(runId, () => this.clock.now());
    this.options.deliveriesDue?.();
    return this.getRun(actor, runId);
  }

  /** Pauses a sending run: in-flight deliveries finish and are recorded, no new one starts. */
  async pause(actor: DeliveryActor, runId: number): Promise<RunDetails> {
    const run = await this.controlled(actor, runId, "pause");
    if (!(await this.repo.pause(run.id, this.clock.now().toISOString()))) {
      throw new ConflictError(run.paused_at ? "This run is already paused." : notSending(run));
    }
    this.options.deliveriesDue?.();
    return this.getRun(actor, runId);
  }

  /** Resumes a paused run exactly where it stopped. */
  async resume(actor: DeliveryActor, runId: number): Promise<RunDetails> {
    const run = await this.controlled(actor, runId, "resume");
    const now = this.clock.now();
    const heldUntil = new Date(now.getTime() + RUN_HOLD_MS).toISOString();
    if (!(await this.repo.resume(run.id, now.toISOString(), heldUntil))) {
      throw new ConflictError(
        run.status === "sending" && !run.cancelled_at ? "This run is not paused." : notSending(run),
      );
    }
    this.options.deliveriesDue?.();
    return this.getRun(actor, runId);
  }

  /** Cancels a sending run: what has not been sent is not sent; it is counted as cancelled. */
  async cancel(actor: DeliveryActor, runId: number): Promise<RunDetails & { cancelled_now: number }> {
    const run = await this.controlled(actor, runId, "cancel");
    const cancelled = await this.repo.cancel(run.id, this.clock.now().toISOString());
    if (cancelled === null)
      throw new ConflictError(run.cancelled_at ? "This run is already cancelled." : notSending(run));
    this.options.deliveriesDue?.();
    return { ...(await this.getRun(actor, runId)), cancelled_now: cancelled };
  }

  private async controlled(actor: DeliveryActor, runId: number, verb: string) {
    const run = await this.visibleRun(actor, runId);
    if (!canSend(actor, run.owner_id))
      throw new ForbiddenError(`Only the mailing's owner can ${verb} its runs.`);
    return run;
  }

  async getRun(actor: DeliveryActor, runId: number): Promise<RunDetails> {
    const run = await this.visibleRun(actor, runId);
    const [view] = await this.withProgress([run]);
    const window = run.status === "sending" ? parseSendWindow(run.send_window) : null;
    const opens = window ? nextOpening(window, run.mailing_zone, this.clock.now()) : null;
    const windowWait =
      window && opens
        ? { window: describeWindow(window), resumes_at: opens.toISOString(), zone: run.mailing_zone }
        : null;
    return {
      ...view!,
      mailing_name: run.mailing_name,
      owner_id: run.owner_id,
      next_retry_at: windowWait ? null : await this.nextRetryAt(view!),
      window_wait: windowWait,
      slowed_domains: run.status === "sending" ? (await this.status()).slowedDomains : [],
    };
  }

  /** What the run page polls while sending: the counts only, not the rest of the run's details. */
  async progress(actor: DeliveryActor, runId: number): Promise<Progress> {
    const [view] = await this.withProgress([await this.visibleRun(actor, runId)]);
    return view!.progress;
  }

  /**
   * What the run page polls while sending: the counts, and the live state of the delivery rows it shows
   * (`ids`, at most LIVE_ROWS_MAX of them; others are ignored, and ids of other runs are never returned).
   */
  async live(actor: DeliveryActor, runId: number, ids: number[]): Promise<LiveRun> {
    const run = await this.visibleRun(actor, runId);
    const [view] = await this.withProgress([run]);
    const rows = await this.repo.liveDeliveries(run.id, ids.slice(0, LIVE_ROWS_MAX));
    return { ...view!.progress, outcome: view!.outcome, outcome_label: view!.outcome_label, rows };
  }

  /** A run's sent and failed deliveries per minute (UTC), oldest first, for the run page's chart. */
  async perMinute(actor: DeliveryActor, runId: number): Promise<MinuteCounts[]> {
    const run = await this.visibleRun(actor, runId);
    return (await this.repo.perMinute(run.id)).map((row) => ({
      minute: row.minute,
      sent: Number(row.sent),
      failed: Number(row.failed),
    }));
  }

  async listRuns(
    actor: DeliveryActor,
    mailingId: number,
    page = 1,
    pageSize = PAGE_SIZE,
  ): Promise<Page<RunView>> {
    const mailing = await this.repo.findMailing(mailingId);
    if (!mailing || !canView(actor, mailing.owner_id)) throw new NotFoundError("Mailing not found");
    const { items, total } = await this.repo.runsOfMailing(mailingId, pageSize, (page - 1) * pageSize);
    return pageOf(await this.withProgress(items), total, page, pageSize);
  }

  /** The API's keyset pages of a mailing's runs, in id order (see shared/cursor.ts). */
  async listRunsByCursor(
    actor: DeliveryActor,
    mailingId: number,
    query: CursorQuery,
  ): Promise<CursorPage<RunView>> {
    const mailing = await this.repo.findMailing(mailingId);
    if (!mailing || !canView(actor, mailing.owner_id)) throw new NotFoundError("Mailing not found");
    const { dir, afterId } = startOf(query);
    const [rows, total] = await Promise.all([
      this.repo.runsKeyset(mailingId, dir, afterId, query.limit),
      this.repo.countRuns(mailingId),
    ]);
    const page = cursorPageOf(rows, query.limit, dir, total);
    return { ...page, items: await this.withProgress(page.items) };
  }

  /**
   * The mailing's newest run when it started less than `withinMs` ago, else null: "Send now" asks again
   * before starting a second run within a minute (a double click, or two people at once).
   */
  async recentRun(actor: DeliveryActor, mailingId: number, withinMs = 60_000): Promise<Run | null> {
    const latest = (await this.listRuns(actor, mailingId, 1, 1)).items[0];
    if (!latest) return null;
    const age = this.clock.now().getTime() - new Date(latest.started_at).getTime();
    return age < withinMs ? latest : null;
  }

  async listDeliveries(
    actor: DeliveryActor,
    runId: number,
    query: {
      status?: DeliveryStatus | undefined;
      page?: number;
      pageSize?: number;
      after?: string | undefined;
      before?: string | undefined;
    } = {},
  ): Promise<Page<DeliveryWithAttempts>> {
    const run = await this.visibleRun(actor, runId);
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? PAGE_SIZE;
    const seek = seekOf(query);
    const read = await this.repo.deliveries(
      runId,
      query.status,
      pageSize,
      { seek, offset: (page - 1) * pageSize },
      run.total_count,
    );
    const numbered = seek.from === "start" && page > 1;
    const keyset = numbered ? null : keysetPage(read.items, pageSize, seek, (d) => [d.id, d.id]);
    const items = keyset ? keyset.items : read.items;
    const total = read.total;
    const rows = await this.repo.attemptsOf(
      items.map((d) => d.id),
      ATTEMPTS_SHOWN,
    );
    const byDelivery = new Map<number, { attempts: AttemptView[]; total: number }>();
    for (const { delivery_id, newest_rank: _, total, ...attempt } of rows) {
      const entry = byDelivery.get(delivery_id) ?? { attempts: [], total: Number(total) };
      entry.attempts.push(attempt);
      byDelivery.set(delivery_id, entry);
    }
    const withAttempts = items.map((d) => {
      const entry = byDelivery.get(d.id);
      const attempts = entry?.attempts ?? [];
      return { ...d, attempts, earlier_attempts: (entry?.total ?? 0) - attempts.length };
    });
    if (!keyset) return { ...pageOf(withAttempts, total, page, pageSize), capped: read.capped };
    return keysetOf({ items: withAttempts, cursors: keyset.cursors }, read, pageSize);
  }

  /**
   * Runs and messages per month (UTC) over the last `months` months: the actor's own mailings, or for
   * managers and admins those of `ownerId` (all users when it is null).
   */
  async report(
    actor: DeliveryActor,
    options: { ownerId?: number | null; months?: number } = {},
  ): Promise<MonthReport[]> {
    const staff = actor === null || actor.role !== "user";
    const ownerId = staff ? (options.ownerId ?? null) : actor.id;
    const now = this.clock.now();
    const since = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - ((options.months ?? 12) - 1), 1),
    );
    const rows = await this.repo.monthly(ownerId, since.toISOString());
    return rows.map((r) => ({
      month: r.month,
      runs: Number(r.runs),
      successRuns: Number(r.success_runs ?? 0),
      failureRuns: Number(r.failure_runs ?? 0),
      sent: Number(r.sent ?? 0),
      failed: Number(r.failed ?? 0),
      suppressed: Number(r.suppressed ?? 0),
      bounced: Number(r.bounced ?? 0),
      unsubscribed: Number(r.unsubscribed ?? 0),
      cancelled: Number(r.cancelled ?? 0),
    }));
  }

  /**
   * The same figures per owner over the last `months` months (UTC), for managers and admins looking at all
   * users: the `limit` owners with the most runs. Anyone else gets nothing (their page has no owners).
   */
  async reportByOwner(
    actor: DeliveryActor,
    options: { months?: number; limit?: number } = {},
  ): Promise<OwnerReport[]> {
    if (actor !== null && actor.role === "user") return [];
    const now = this.clock.now();
    const since = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - ((options.months ?? 12) - 1), 1),
    );
    const rows = await this.repo.byOwner(since.toISOString(), options.limit ?? 100);
    return rows.map((r) => ({
      ownerId: Number(r.owner_id),
      ownerEmail: r.owner_email,
      runs: Number(r.runs),
      sent: Number(r.sent ?? 0),
      failed: Number(r.failed ?? 0),
      suppressed: Number(r.suppressed ?? 0),
      bounced: Number(r.bounced ?? 0),
      unsubscribed: Number(r.unsubscribed ?? 0),
    }));
  }

  /**
   * Messages sent and failed on each of the last `days` days (UTC, days without runs as zeros, oldest
   * first): the actor's own mailings, or for managers and admins everyone's when ownerId is null.
   */
  async daily(
    actor: DeliveryActor,
    options: { ownerId?: number | null; days?: number } = {},
  ): Promise<{ day: string; sent: number; failed: number }[]> {
    const staff = actor === null || actor.role !== "user";
    const ownerId = staff ? (options.ownerId ?? null) : actor.id;
    const days = options.days ?? 30;
    const today = this.clock.now();
    const first = new Date(
      Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (days - 1)),
    );
    const rows = new Map((await this.repo.daily(ownerId, first.toISOString())).map((r) => [r.day, r]));
    return Array.from({ length: days }, (_, i) => {
      const day = new Date(first.getTime() + i * 86_400_000).toISOString().slice(0, 10);
      const row = rows.get(day);
      return { day, sent: Number(row?.sent ?? 0), failed: Number(row?.failed ?? 0) };
    });
  }

  /** A page of the outbox by cursor (`after` / `before` from the pager), newest first. */
  async listOutbox(
    actor: DeliveryActor,
    cursor: { after?: unknown; before?: unknown } = {},
    q = "",
  ): Promise<Page<OutboxListItem>> {
    requireAdmin(actor);
    const seek = seekOf(cursor);
    const { rows, total, capped } = await this.repo.outbox(PAGE_SIZE, seek, q.trim().slice(0, 200));
    const page = keysetPage(rows, PAGE_SIZE, seek, (m) => [m.id, m.id]);
    return keysetOf(page, { total, capped }, PAGE_SIZE);
  }

  /** How many stored messages are older than `days` days (every one when days is 0), and deleting them. */
  async countOutboxOlder(actor: DeliveryActor, days: number): Promise<number> {
    requireAdmin(actor);
    return this.repo.countOutbox(this.outboxCutoff(days));
  }

  async clearOutbox(actor: DeliveryActor, days: number): Promise<number> {
    requireAdmin(actor);
    return this.repo.deleteOutbox(this.outboxCutoff(days));
  }

  private outboxCutoff(days: number): string | null {
    return days > 0 ? new Date(this.clock.now().getTime() - days * 86_400_000).toISOString() : null;
  }

  async getOutboxMessage(
    actor: DeliveryActor,
    id: number,
  ): Promise<OutboxMessage & { run_id: number | null }> {
    requireAdmin(actor);
    const message = await this.repo.outboxMessage(id);
    if (!message) throw new NotFoundError("Message not found");
    return message;
  }

  /** Whether sending is paused and why, from the workers' heartbeats (works across processes). */
  async status(): Promise<SendingStatus> {
    const now = this.clock.now().getTime();
    const since = new Date(now - (this.options.heartbeatStaleMs ?? 30_000)).toISOString();
    const workers = await this.repo.liveWorkers(since);
    const paused = workers.filter((w) => w.state === "paused");
    const anyRunning = workers.some((w) => w.state === "running");
    const first = paused.sort((a, b) => (a.paused_until ?? "").localeCompare(b.paused_until ?? ""))[0];
    const relays: SendingStatus["relays"] = {};
    const slowed = new Map<string, number>();
    for (const w of [...workers].sort((a, b) => a.heartbeat_at.localeCompare(b.heartbeat_at))) {
      const details = parseDetails(w.details);
      for (const r of details.relays ?? []) {
        const known = relays[r.name];
        // Down for one worker is worth showing; the latest report wins otherwise.
        if (!known || known.up || !r.up)
          relays[r.name] = { up: r.up, downUntil: r.downUntil, lastError: r.lastError };
      }
      for (const d of details.slowedDomains ?? [])
        slowed.set(d.domain, Math.min(slowed.get(d.domain) ?? Infinity, d.rate));
    }
    return {
      relays,
      slowedDomains: [...slowed].map(([domain, rate]) => ({ domain, rate })),
      mode: this.options.mode,
      workers: workers.length,
      paused: paused.length > 0 && !anyRunning,
      reason: paused.length > 0 && !anyRunning ? (first?.reason ?? null) : null,
      resumesAt: paused.length > 0 && !anyRunning ? (first?.paused_until ?? null) : null,
    };
  }

  /** The relay and its state (admins). */
  async relay(actor: DeliveryActor): Promise<RelayView> {
    assertAdmin(actor);
    const relays = (this.options.relays ?? []).map((r) => ({
      address: r.address,
      weight: r.weight,
      limits: r.limits ?? "",
    }));
    return { mode: this.options.mode, relays, status: await this.status() };
  }

  /** Connects to the relay as a send would (EHLO, STARTTLS, AUTH) and reports its answer; sends no mail. */
  async checkRelay(actor: DeliveryActor, index = 0): Promise<RelayCheck> {
    assertAdmin(actor);
    const relay = this.options.relays?.[index];
    if (!relay)
      throw new ConflictError("No SMTP relay is configured (SMTP_URL): mail goes to the local outbox.");
    return relay.check();
  }

  /** The next planned sends of a mailing (what the scheduler will do), at most `count`. */
  async upcoming(actor: DeliveryActor, mailingId: number, count = 5): Promise<Date[]> {
    const mailing = await this.repo.findMailing(mailingId);
    if (!mailing || !canView(actor, mailing.owner_id)) throw new NotFoundError("Mailing not found");
    if (mailing.status === "completed" || mailing.disabled_at || !mailing.next_run_at) return [];
    const result = [new Date(mailing.next_run_at)];
    let cursor = new Date(Math.max(this.clock.now().getTime(), Date.parse(mailing.next_run_at)));
    while (result.length < count) {
      const next = occurrenceAfter(mailing, cursor);
      if (!next) break;
      result.push(next);
      cursor = next;
    }
    return result;
  }

  /**
   * The API's keyset pages of a run's deliveries with their last tries, in id order (see shared/cursor.ts:
   * deliveries only walk oldest first). The count is the run's, by status.
   */
  async listDeliveriesByCursor(
    actor: DeliveryActor,
    runId: number,
    query: { status?: DeliveryStatus | undefined; limit: number; cursor: string | undefined },
  ): Promise<CursorPage<DeliveryWithAttempts>> {
    await this.visibleRun(actor, runId);
    const afterId = query.cursor === undefined ? 0 : decodeCursor(query.cursor).id;
    const [rows, total] = await Promise.all([
      this.repo.deliveriesKeyset(runId, query.status, afterId, query.limit),
      this.repo.countDeliveries(runId, query.status),
    ]);
    const attempts = await this.repo.attemptsOf(
      rows.slice(0, query.limit).map((d) => d.id),
      ATTEMPTS_SHOWN,
    );
    const byDelivery = new Map<number, { attempts: AttemptView[]; total: number }>();
    for (const { delivery_id, newest_rank: _, total: n, ...attempt } of attempts) {
      const entry = byDelivery.get(delivery_id) ?? { attempts: [], total: Number(n) };
      entry.attempts.push(attempt);
      byDelivery.set(delivery_id, entry);
    }
    const withAttempts = rows.map((d) => {
      const entry = byDelivery.get(d.id);
      const shown = entry?.attempts ?? [];
      return { ...d, attempts: shown, earlier_attempts: (entry?.total ?? 0) - shown.length };
    });
    return cursorPageOf(withAttempts, query.limit, "asc", total);
  }

  /**
   * A run's deliveries for an export, 1,000 at a time in id order (memory stays flat). The run is checked
   * (visible to the actor, as getRun) before the first page is asked for.
   */
  async exportDeliveries(actor: DeliveryActor, runId: number) {
    await this.visibleRun(actor, runId);
    const repo = this.repo;
    return (async function* () {
      let afterId = 0;
      for (;;) {
        const page = await repo.deliveriesAfter(runId, afterId, 1_000);
        if (page.length === 0) return;
        yield page;
        afterId = page.at(-1)!.id;
      }
    })();
  }

  private async visibleRun(actor: DeliveryActor, runId: number) {
    const run = await this.repo.findRun(runId);
    if (!run || !canView(actor, run.owner_id)) throw new NotFoundError("Run not found");
    return run;
  }

  private async withProgress(runs: Run[]): Promise<RunView[]> {
    const preparing = (r: Run) => r.status === "sending" && r.preparing === "audience";
    const live = await this.repo.countsByRun(runs.filter((r) => r.status === "sending").map((r) => r.id));
    return runs.map(({ ...run }) => {
      if (preparing(run)) {
        // Nothing is due yet: what has been inserted so far is pending or suppressed.
        const counts = live.get(run.id) ?? emptyCounts();
        const { outcome, label } = runOutcome(run.status, counts, run);
        const about = run.expected_count === null ? "" : ` of about ${formatCount(run.expected_count)}`;
        return {
          ...run,
          progress: {
            ...counts,
            total: run.total_count,
            done: false,
            preparing: { inserted: run.total_count, expected: run.expected_count },
          },
          summary: null,
          outcome,
          // "Preparing… 120,000 of about 1,000,000" (a cancel meanwhile keeps its own words).
          outcome_label: run.cancelled_at ? label : `${label} ${formatCount(run.total_count)}${about}`,
        };
      }
      const counts =
        run.status === "sending"
          ? (live.get(run.id) ?? emptyCounts())
          : {
              ...emptyCounts(),
              sent: run.sent_count,
              failed: run.failed_count,
              cancelled: run.cancelled_count,
              // A finished run has nothing open: what was neither sent, failed nor cancelled was suppressed.
              suppressed: Math.max(
                0,
                run.total_count - run.sent_count - run.failed_count - run.cancelled_count,
              ),
            };
      const progress = { ...counts, total: run.total_count, done: run.status !== "sending" };
      const { outcome, label } = runOutcome(run.status, counts, run);
      return { ...run, progress, summary: parseResponse(run.response), outcome, outcome_label: label };
    });
  }

  private async nextRetryAt(run: RunView): Promise<string | null> {
    if (run.status !== "sending" || run.progress.pending === 0) return null;
    const next = await this.repo.earliestPending(run.id);
    return next && next > this.clock.now().toISOString() ? next : null;
  }
}

function formatCount(n: number): string {
  return n.toLocaleString("en");
}

/** The relays page is for admins (and the CLI); anyone else gets the 404 of a page that is not there. */
function assertAdmin(actor: DeliveryActor): void {
  if (actor !== null && actor.role !== "admin") throw new NotFoundError("Page not found");
}

function parseDetails(text: string | null): WorkerDetails {
  if (!text) return {};
  try {
    return JSON.parse(text) as WorkerDetails;
  } catch {
    return {};
  }
}

/** How long the worker holds a paused run's deliveries back (worker.ts HOLD_MS); resume brings them forward. */
const RUN_HOLD_MS = 60_000;

function notSending(run: { status: string; cancelled_at: string | null }): string {
  if (run.cancelled_at) return "This run was cancelled.";
  return "This run has finished; only a run that is sending can be paused, resumed or cancelled.";
}

function canView(actor: DeliveryActor, ownerId: number): boolean {
  return actor === null || actor.role !== "user" || actor.id === ownerId;
}

/** Managers see everyone's mailings but act only on their own. */
function canSend(actor: DeliveryActor, ownerId: number): boolean {
  return actor === null || actor.role === "admin" || actor.id === ownerId;
}

function requireAdmin(actor: DeliveryActor): void {
  if (actor !== null && actor.role !== "admin") throw new ForbiddenError("Only admins can read the outbox.");
}
