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
 * Whether to try again after a temporary failure. `tries` counts this failed try. Failures that say the
 * server is down (serverDown) do not use up the recipient's tries, only its age: an outage of the
 * relay says nothing about the address.
 */
export function decideRetry(
  policy: RetryPolicy,
  input: { tries: number; createdAt: Date; now: Date; serverDown: boolean; random: number },
): RetryDecision {
  const { tries, createdAt, now, serverDown, random } = input;
  if (!serverDown && tries >= policy.maxTries) {
    return { retry: false, reason: `gave up after ${tries} ${tries === 1 ? "try" : "tries"}` };
  }
  const delay = serverDown ? 0 : retryDelayMs(policy, tries, random);
  const at = new Date(now.getTime() + delay);
  if (at.getTime() - createdAt.getTime() > policy.maxAgeMs) {
    return { retry: false, reason: `gave up after ${Math.round(policy.maxAgeMs / 60_000)} minutes` };
  }
  return { retry: true, at };
}
