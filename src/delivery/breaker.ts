/**
 * The circuit breaker: after several consecutive "server down" failures, sending pauses as a whole and
 * resumes by itself — first one probe message, then everything once the probe gets through. A "suspect"
 * failure (a connection lost mid-DATA, a per-session limit) counts once per key (the message, the
 * delivery): one message the server chokes on, retried, never pauses everyone; unrelated ones failing the
 * same way do.
 * Pure state machine: time is passed in.
 */

export interface BreakerPolicy {
  /** Consecutive server-down failures that open the breaker. */
  threshold: number;
  /** The first pause; each failed probe doubles it. */
  baseMs: number;
  maxMs: number;
}

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerSnapshot {
  state: BreakerState;
  /** Why sending is paused (the last server-down failure), or null when closed. */
  reason: string | null;
  /** When the next probe may go, while open. */
  resumesAt: Date | null;
}

export type Gate = { go: true; probe: boolean } | { go: false; waitMs: number };

export class CircuitBreaker {
  private state: BreakerState = "closed";
  private failures = 0;
  private opens = 0;
  private until = 0;
  private reason: string | null = null;
  private probing = false;
  /** What the suspect failures of the current streak were about (a run's message, a delivery). */
  private readonly suspects = new Set<string>();

  constructor(private readonly policy: BreakerPolicy) {}

  /** May a message be sent now? While half-open only one probe is let through at a time. */
  gate(now: Date): Gate {
    if (this.state === "closed") return { go: true, probe: false };
    const t = now.getTime();
    if (this.state === "open") {
      if (t < this.until) return { go: false, waitMs: this.until - t };
      this.state = "half-open";
    }
    if (this.probing) return { go: false, waitMs: Math.min(this.policy.baseMs, 250) };
    this.probing = true;
    return { go: true, probe: true };
  }

  /**
   * Records a send's result; returns true when this result opened the breaker. `key` says what a
   * "suspect" failure was about: the same key counts once per streak.
   */
  record(now: Date, result: { server: "trip" | "suspect" | "clear"; text: string; key?: string }): boolean {
    if (result.server === "clear") {
      this.state = "closed";
      this.failures = 0;
      this.opens = 0;
      this.reason = null;
      this.probing = false;
      this.suspects.clear();
      return false;
    }
    const probeFailed = this.state === "half-open" && this.probing;
    if (result.server === "suspect" && result.key !== undefined) {
      if (this.suspects.has(result.key) && !probeFailed) return false;
      this.suspects.add(result.key);
    }
    this.failures++;
    this.reason = result.text;
    if (probeFailed || (this.state === "closed" && this.failures >= this.policy.threshold)) {
      this.opens++;
      const pause = Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** Math.min(this.opens - 1, 30));
      this.state = "open";
      this.until = now.getTime() + pause;
      this.probing = false;
      return true;
    }
    return false;
  }

  /** A probe that ended without a verdict (shutdown, released): let another one go. */
  cancelProbe(): void {
    this.probing = false;
  }

  snapshot(): BreakerSnapshot {
    return {
      state: this.state,
      reason: this.state === "closed" ? null : this.reason,
      resumesAt: this.state === "open" ? new Date(this.until) : null,
    };
  }
}
