/**
 * Pure: the token bucket behind SEND_RATE, shared by every worker on the database. A bucket holds at most
 * `burst` tokens and gains `rate` tokens a second; a worker takes a few at a time (a grant), one per message.
 * Tokens are counted in thousandths and time in epoch milliseconds, both integers, so the row can be updated
 * by compare-and-set on exact values. With the burst kept small, no one-second window carries more than
 * rate + burst messages, however many workers share the bucket.
 */

export interface BucketState {
  millitokens: number;
  refilledAtMs: number;
}

export interface BucketPolicy {
  /** Tokens per second (> 0). */
  rate: number;
  /** The most tokens the bucket holds (what an idle bucket lets through at once). */
  burst: number;
}

export interface Taken {
  next: BucketState;
  granted: number;
  /** When nothing was granted: how long until one token is there. */
  waitMs: number;
}

/** The bucket's policy for a rate: a burst of 50 ms of sending (at least one message), grants of up to 20 ms. */
export function bucketPolicy(rate: number): BucketPolicy {
  return { rate, burst: Math.max(1, Math.ceil(rate / 20)) };
}

/** How many tokens a worker asks for at a time: one message up to 100/s, then 20 ms of sending. */
export function grantSize(rate: number, concurrency: number): number {
  return Math.max(1, Math.min(concurrency, Math.floor(rate / 50)));
}

/** An untouched bucket is full. */
export function fullBucket(policy: BucketPolicy, nowMs: number): BucketState {
  return { millitokens: policy.burst * 1000, refilledAtMs: nowMs };
}

/**
 * Refills the bucket for the time since its last refill (a clock behind the last writer's adds nothing; the
 * refill time never goes back) and takes up to `want` whole tokens.
 */
export function takeTokens(state: BucketState, policy: BucketPolicy, want: number, nowMs: number): Taken {
  const elapsed = Math.max(0, nowMs - state.refilledAtMs);
  const cap = policy.burst * 1000;
  const filled = Math.min(cap, state.millitokens + Math.floor(elapsed * policy.rate));
  const granted = Math.max(0, Math.min(want, Math.floor(filled / 1000)));
  const millitokens = filled - granted * 1000;
  const next = { millitokens, refilledAtMs: Math.max(state.refilledAtMs, nowMs) };
  const waitMs = granted > 0 ? 0 : Math.max(1, Math.ceil((1000 - millitokens) / policy.rate));
  return { next, granted, waitMs };
}
