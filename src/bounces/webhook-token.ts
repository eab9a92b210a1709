/** Constant-time comparison of a presented token with the configured one (both hashed to equal length). */
import { createHash, timingSafeEqual } from "node:crypto";

export function safeEqual(given: string, expected: string): boolean {
  const digest = (v: string) => createHash("sha256").update(v).digest();
  return timingSafeEqual(digest(given), digest(expected)) && given.length === expected.length;
}
