/** When a delivery whose try failed is tried again, or given up on. Pure: randomness is passed in. */

export interface RetryPolicy {
  /** The first retry's delay; each later one doubles. */
  baseMs: number;
  /** The most tries a recipient's temporary failures may use. */
  maxTries: number;
  /** A delivery older than this is not retried again. */
  maxAgeMs: number;
  /** No single wait is longer than this. */
  capMs?: number;
}

const DEFAULT_CAP_MS = 6 * 3600_000;

/**
 * The delay before try number `tries + 1`, after `tries` tries (≥ 1): base·2^(tries−1) capped, with "equal
 * jitter" (half fixed, half random) so retries of a large run spread out instead of arriving together.
 */
export function retryDelayMs(policy: RetryPolicy, tries: number, random: number): number {
  const exponent = Math.min(Math.max(tries - 1, 0), 30);
  const full = Math.min(policy.capMs ?? DEFAULT_CAP_MS, policy.baseMs * 2 ** exponent);
  return Math.round(full / 2 + (full / 2) * random);
}

export type RetryDecision = { retry: true; at: Date } | { retry: false; reason: string };

/**
 * Whether to try again after a failure that was not final. `tries` counts the tries used so far, this one
 * included. A failure that used no try (the relay was down or misconfigured, a 421, a per-session limit) is
 * retried at once (the circuit breaker paces those) and never gives up: it says nothing about the
 * recipient, and the delivery goes out once the relay is fixed.
 */
export function decideRetry(
  policy: RetryPolicy,
  input: { tries: number; createdAt: Date; now: Date; usesTry: boolean; random: number },
): RetryDecision {
  const { tries, createdAt, now, usesTry, random } = input;
  if (!usesTry) return { retry: true, at: now };
  if (tries >= policy.maxTries) {
    return { retry: false, reason: `gave up after ${tries} ${tries === 1 ? "try" : "tries"}` };
  }
  const at = new Date(now.getTime() + retryDelayMs(policy, tries, random));
  if (at.getTime() - createdAt.getTime() > policy.maxAgeMs) {
    return { retry: false, reason: `gave up after ${Math.round(policy.maxAgeMs / 60_000)} minutes` };
  }
  return { retry: true, at };
}
