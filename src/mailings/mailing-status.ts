/**
 * A mailing's status after its schedule is set or changed (pure). Created: never sent. Running: sent at
 * least once and not over. Completed: the end time has passed, or a one-off mailing's run is done and
 * nothing more is planned. The scheduler applies the same rules as runs happen.
 */
import type { MailingStatus, Periodicity } from "../db/schema.js";

export function statusFor(
  mailing: { end_at: string; periodicity: Periodicity; last_run_at: string | null },
  nextRunAt: string | null,
  now: Date,
): MailingStatus {
  if (now.getTime() >= Date.parse(mailing.end_at)) return "completed";
  if (nextRunAt === null && mailing.last_run_at !== null) return "completed";
  return mailing.last_run_at === null ? "created" : "running";
}
