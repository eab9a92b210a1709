/**
 * The engine's loop that fills runs a chunk at a time (RunPreparation): runs the web created with "Send now",
 * failed deliveries the web asked to retry, and whatever a crash interrupted. It runs wherever the worker or
 * the scheduler runs, never on the web's event loop; it polls runs_preparing_idx and is woken by the web.
 */
import { type Clock, systemClock } from "../shared/time.js";
import type { RunPreparation } from "./preparation.store.js";
import { type DeliveryLogger, silentLogger } from "./worker.js";

export interface RunPreparerDeps {
  preparation: RunPreparation;
  clock?: Clock;
  logger?: DeliveryLogger;
  /** Between two looks for runs to prepare when nothing woke it. */
  intervalMs: number;
  /** Told when a run's preparation is done (its deliveries are due): wakes an idle worker. */
  prepared?: (runId: number) => void;
}

export class RunPreparer {
  private readonly clock: Clock;
  private readonly logger: DeliveryLogger;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<unknown> | null = null;
  private stopped = true;
  /** Set by stop(): preparation pauses between two chunks (tick() alone, as in tests, runs to the end). */
  private halting = false;
  private again = false;

  constructor(private readonly deps: RunPreparerDeps) {
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
  }

  /** Prepares every run with preparation left, to the end; returns their ids. */
  async tick(): Promise<number[]> {
    const done: number[] = [];
    for (const runId of await this.deps.preparation.pending()) {
      const finished = await this.deps.preparation.prepare(
        runId,
        () => this.clock.now(),
        () => this.halting,
      );
      if (!finished) break;
      this.logger.info({ runId }, "run prepared");
      this.deps.prepared?.(runId);
      done.push(runId);
    }
    return done;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halting = false;
    void this.loop();
  }

  private readonly loop = async (): Promise<void> => {
    this.timer = null;
    this.again = false;
    this.current = this.tick().catch((err) => this.logger.error({ err }, "run preparation failed"));
    await this.current;
    this.current = null;
    if (this.stopped) return;
    this.timer = setTimeout(this.loop, this.again ? 0 : this.deps.intervalMs);
  };

  /** Looks for runs to prepare now (the web created one, or asked for a retry). */
  wake(): void {
    if (this.stopped) return;
    if (this.current) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    void this.loop();
  }

  /** Stops after the chunk in hand: what is left is resumed by the next start (every chunk is committed). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halting = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }
}
