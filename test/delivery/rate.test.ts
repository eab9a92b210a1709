/** The shared send-rate bucket's arithmetic: however many workers take from it, and whenever. */
import { describe, expect, it } from "vitest";
import {
  type BucketState,
  bucketPolicy,
  fullBucket,
  grantSize,
  takeTokens,
} from "../../src/delivery/rate.js";

/** A seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("the send-rate bucket", () => {
  it("starts full, refills at the rate, never holds more than its burst", () => {
    const policy = bucketPolicy(50);
    expect(policy.burst).toBe(3);
    const start = fullBucket(policy, 1_000);
    const first = takeTokens(start, policy, 10, 1_000);
    expect(first.granted).toBe(3);
    const empty = takeTokens(first.next, policy, 1, 1_000);
    expect(empty.granted).toBe(0);
    expect(empty.waitMs).toBe(20);
    expect(takeTokens(first.next, policy, 1, 1_020).granted).toBe(1);
    // An hour idle still gives only the burst.
    expect(takeTokens(first.next, policy, 1_000, 3_601_000).granted).toBe(3);
  });

  it("adds nothing for a clock behind the last refill, and never moves the refill back", () => {
    const policy = bucketPolicy(10);
    const state: BucketState = { millitokens: 0, refilledAtMs: 10_000 };
    const behind = takeTokens(state, policy, 1, 9_000);
    expect(behind.granted).toBe(0);
    expect(behind.next.refilledAtMs).toBe(10_000);
  });

  it("grants one message at a time up to 100/s, then 20 ms of sending, never more than the lanes", () => {
    expect(grantSize(50, 8)).toBe(1);
    expect(grantSize(1000, 8)).toBe(8);
    expect(grantSize(1000, 32)).toBe(20);
    expect(grantSize(0.5, 8)).toBe(1);
  });

  it.each([7, 50, 333])(
    "three workers taking at random moments: no second carries more than rate + burst, and the rate is reached (rate %d)",
    (rate) => {
      const random = prng(rate);
      const policy = bucketPolicy(rate);
      let state = fullBucket(policy, 0);
      const sends: number[] = [];
      const next = [0, 0, 0];
      const end = 20_000;
      for (;;) {
        const w = next.indexOf(Math.min(...next));
        const t = next[w]!;
        if (t >= end) break;
        const taken = takeTokens(state, policy, grantSize(rate, 4), t);
        state = taken.next;
        for (let i = 0; i < taken.granted; i++) sends.push(t);
        next[w] = t + (taken.granted > 0 ? random() * 3 : taken.waitMs + 2 * random());
      }
      let worst = 0;
      for (let i = 0, j = 0; i < sends.length; i++) {
        while (sends[i]! - sends[j]! >= 1000) j++;
        worst = Math.max(worst, i - j + 1);
      }
      expect(worst).toBeLessThanOrEqual(rate + policy.burst);
      expect(sends.length).toBeGreaterThanOrEqual(rate * (end / 1000) * 0.97);
      expect(sends.length).toBeLessThanOrEqual(rate * (end / 1000) + policy.burst);
    },
  );
});
