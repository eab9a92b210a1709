/**
 * The SQL behind a finished run's "mail server response" (summary.ts): deliveries by last reply code, and
 * the failed ones grouped by code and enhanced status with one sample text each.
 */
import type { Executor } from "../db/database.js";
import { type RunResponse, summarize, TOP_FAILURES } from "./summary.js";

export async function runSummary(db: Executor, runId: number): Promise<RunResponse> {
  // Both read one run's deliveries through deliveries_run_status_idx (run_id, status).
  const codes = await db
    .selectFrom("deliveries")
    .select((eb) => ["last_code", eb.fn.countAll<number>().as("n")])
    .where("run_id", "=", runId)
    // Suppressed and cancelled deliveries were never sent: the server's replies are not theirs.
    .where("status", "not in", ["suppressed", "cancelled"])
    .groupBy("last_code")
    .execute();
  const failures = await db
    .selectFrom("deliveries")
    .select((eb) => [
      "last_code",
      "last_enhanced",
      eb.fn.countAll<number>().as("n"),
      // One text of the group as its sample: the same one every time (min), masked by summarize().
      eb.fn.min("last_text").as("sample"),
    ])
    .where("run_id", "=", runId)
    .where("status", "=", "failed")
    .groupBy(["last_code", "last_enhanced"])
    .orderBy((eb) => eb.fn.countAll(), "desc")
    .orderBy("last_code")
    .orderBy("last_enhanced")
    .limit(TOP_FAILURES)
    .execute();
  return summarize(
    codes.map((r) => ({ code: r.last_code, count: r.n })),
    failures.map((r) => ({ code: r.last_code, enhanced: r.last_enhanced, text: r.sample, count: r.n })),
  );
}
