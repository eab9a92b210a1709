/**
 * The webhook dispatcher: its own loop in the engine (started by delivery/runtime.ts beside the worker, never
 * in a web request), with its own concurrency, so a slow or hanging receiver never slows mail. It claims
 * endpoints with due events, sends each endpoint's events in order (the next waits for the earlier ones),
 * batching consecutive delivery.* events up to BATCH_LIMIT per request, and records every attempt.
 */
import { randomUUID } from "node:crypto";
import { type Clock, systemClock } from "../shared/time.js";
import { ID_HEADER, newUid, SIGNATURE_HEADER, signatureHeader } from "./signature.js";
import { type PostOptions, type PostResult, postWebhook } from "./webhooks.http.js";
import { BATCH_FAMILIES } from "./webhooks.schemas.js";
import {
  type ClaimedEndpoint,
  DEFAULT_RETRY,
  type RetryPolicy,
  type WebhookStore,
} from "./webhooks.store.js";

export const BATCH_LIMIT = 100;

export interface DispatcherConfig {
  /** Endpoints served at once. */
  concurrency: number;
  timeoutMs: number;
  allowPrivate: boolean;
  pollMs: number;
  /** Requests to one endpoint per claim before it is given back (so others get their turn). */
  requestsPerClaim: number;
  retry: RetryPolicy;
}

export const DEFAULT_DISPATCHER: DispatcherConfig = {
  concurrency: 4,
  timeoutMs: 10_000,
  allowPrivate: false,
  pollMs: 1_000,
  requestsPerClaim: 10,
  retry: DEFAULT_RETRY,
};

export interface DispatcherLogger {
  warn(obj: object, msg: string): void;
}

export type Poster = (
  url: string,
  headers: Record<string, string>,
  body: string,
  o: PostOptions,
) => Promise<PostResult>;

export class WebhookDispatcher {
  readonly workerId = `hooks-${randomUUID()}`;
  private readonly config: DispatcherConfig;
  private readonly clock: Clock;
  private readonly post: Poster;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly inFlight = new AbortController();

  constructor(
    private readonly store: WebhookStore,
    options: {
      config?: Partial<DispatcherConfig>;
      clock?: Clock;
      post?: Poster;
      logger?: DispatcherLogger;
    } = {},
  ) {
    this.config = { ...DEFAULT_DISPATCHER, ...options.config };
    this.clock = options.clock ?? systemClock;
    this.post = options.post ?? postWebhook;
    this.logger = options.logger;
  }

  private readonly logger: DispatcherLogger | undefined;

  /** Starts the loop; a stopped dispatcher is not started again (make a new one). */
  start(): void {
    if (this.loop || this.inFlight.signal.aborted) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /**
   * Stops claiming, aborts the requests in flight (a hanging receiver must not hold up a shutdown; their
   * events stay pending and go again from the next start) and gives the endpoints back.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.inFlight.abort();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let served = 0;
      try {
        served = await this.tick();
      } catch (error) {
        this.logger?.warn({ err: error }, "webhook dispatch failed; trying again");
      }
      if (served === 0 && !this.stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.config.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  /** One round: claims up to `concurrency` endpoints and serves them side by side; returns how many. */
  async tick(): Promise<number> {
    const now = this.clock.now();
    const leaseMs = (this.config.timeoutMs + 5_000) * this.config.requestsPerClaim;
    const endpoints = await this.store.claimEndpoints(
      this.workerId,
      this.config.concurrency,
      now,
      new Date(now.getTime() + leaseMs),
    );
    await Promise.all(endpoints.map((e) => this.serve(e)));
    return endpoints.length;
  }

  private async serve(endpoint: ClaimedEndpoint): Promise<void> {
    let current = endpoint;
    try {
      for (let i = 0; i < this.config.requestsPerClaim && !this.stopping; i++) {
        const head = await this.store.head(current.id, BATCH_LIMIT);
        if (head.length === 0) return;
        const first = head[0]!;
        const family = BATCH_FAMILIES[first.type];
        const events = family ? takeWhile(head, (e) => BATCH_FAMILIES[e.type] === family) : [first];
        const { requestId, body } = requestBody(events, this.clock.now());
        const signedAt = this.clock.now();
        const result = await this.post(
          current.url,
          { [SIGNATURE_HEADER]: signatureHeader(current.secret, body, signedAt), [ID_HEADER]: requestId },
          body,
          {
            timeoutMs: this.config.timeoutMs,
            allowPrivate: this.config.allowPrivate,
            signal: this.inFlight.signal,
          },
        );
        // Aborted by stop(): not the receiver's failure, nothing to record.
        if (this.inFlight.signal.aborted) return;
        const { disabled } = await this.store.recordAttempt({
          workerId: this.workerId,
          endpoint: current,
          requestId,
          events,
          result,
          now: this.clock.now(),
          policy: this.config.retry,
        });
        if (result.outcome !== "ok" || disabled) return;
        current = { ...current, failures: 0, failing_since: null };
      }
    } finally {
      await this.store.release(this.workerId, endpoint.id);
    }
  }
}

function takeWhile<T>(items: T[], keep: (item: T) => boolean): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (!keep(item)) break;
    out.push(item);
  }
  return out;
}

/**
 * One event goes as its own body {id, type, created_at, data}. Several delivery events go as one batch:
 * {id: "bat_…", type: "batch", created_at, data: {events: [<event>, …]}}, each event as it would be alone.
 */
export function requestBody(
  events: { uid: string; payload: string }[],
  now: Date,
): { requestId: string; body: string } {
  if (events.length === 1) return { requestId: events[0]!.uid, body: events[0]!.payload };
  const requestId = newUid("bat");
  const body = `{"id":${JSON.stringify(requestId)},"type":"batch","created_at":${JSON.stringify(now.toISOString())},"data":{"events":[${events.map((e) => e.payload).join(",")}]}}`;
  return { requestId, body };
}
