/**
 * The scheduler: every tick it creates a run for each due mailing (one transaction each: the run, its
 * deliveries, and next_run_at moved to the first occurrence after now — so downtime gives one catch-up
 * run, not a burst), completes mailings whose end has passed, and finishes runs a dead worker left open.
 */
import { type Clock, systemClock } from "../shared/time.js";
import type { SchedulerStore } from "./ports.js";
import { planNextRun } from "./schedule.js";
import { type DeliveryLogger, silentLogger } from "./worker.js";

export interface SchedulerDeps {
  store: SchedulerStore;
  clock?: Clock;
  logger?: DeliveryLogger;
  intervalMs: number;
  /** How late an occurrence at the very end of a mailing's window may still be sent. */
  graceMs?: number;
  /** Mailings handled per tick at most (the rest wait for the next tick). */
  batch?: number;
}

export interface TickResult {
  created: number[];
  skipped: { mailingId: number; reason: string }[];
  completed: number;
  finished: number[];
}

export const DEFAULT_GRACE_MS = 15 * 60_000;

export class Scheduler {
  private readonly store: SchedulerStore;
  private readonly clock: Clock;
  private readonly logger: DeliveryLogger;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<unknown> | null = null;
  private stopped = true;

  constructor(private readonly deps: SchedulerDeps) {
    this.store = deps.store;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
  }

  async tick(): Promise<TickResult> {
    const now = this.clock.now();
    const grace = this.deps.graceMs ?? DEFAULT_GRACE_MS;
    const finished = await this.store.finishStaleRuns(now);
    const created: number[] = [];
    const skipped: TickResult["skipped"] = [];
    for (const mailing of await this.store.dueMailings(now, this.deps.batch ?? 100, grace)) {
      const next = planNextRun(mailing, now);
      const result = await this.store.createRun({
        mailingId: mailing.id,
        trigger: "schedule",
        actorUserId: null,
        scheduledFor: mailing.next_run_at,
        now,
        schedule: { expected: mailing.next_run_at, next },
      });
      if ("run" in result) {
        created.push(result.run.id);
        this.logger.info(
          { mailingId: mailing.id, runId: result.run.id, recipients: result.run.total_count, next },
          "run created",
        );
        continue;
      }
      skipped.push({ mailingId: mailing.id, reason: result.skipped });
      // This occurrence already has its run (e.g. the mailing was edited back onto it): move on.
      if (result.skipped === "duplicate") await this.store.advance(mailing.id, mailing.next_run_at, next);
    }
    const completed = await this.store.completeEnded(now, grace);
    return { created, skipped, completed, finished };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.loop();
  }

  private readonly loop = async (): Promise<void> => {
    this.current = this.tick().catch((err) => this.logger.error({ err }, "scheduler tick failed"));
    await this.current;
    this.current = null;
    if (!this.stopped) this.timer = setTimeout(this.loop, this.deps.intervalMs);
  };

  /** Looks for due mailings now instead of at the next interval (a mailing was created or edited). */
  wake(): void {
    if (this.stopped || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    void this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }
}
