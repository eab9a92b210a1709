/**
 * Schedule maths for mailings: when each occurrence falls, which one is due, and what a mailing's
 * next_run_at should be. Pure: no I/O, no clock (callers pass "now").
 *
 * Occurrence k is the first send's local wall-clock time plus k days / weeks / months in the mailing's
 * zone, always computed from the first send (never by chaining), so DST keeps the local time and a
 * monthly mailing started on the 31st falls on the last day of shorter months and back on the 31st in
 * long ones. Occurrences are strictly before end_at (the end is exclusive).
 */
import { DateTime, type DurationLikeObject } from "luxon";
import type { Periodicity } from "../db/schema.js";

/** The schedule fields of a mailing row (a Mailing can be passed as is). */
export interface Schedule {
  first_send_at: string;
  end_at: string;
  periodicity: Periodicity;
  time_zone: string;
}

const DAY_MS = 86_400_000;

function firstLocal(schedule: Schedule): DateTime {
  const first = DateTime.fromISO(schedule.first_send_at, { zone: "utc" });
  if (!first.isValid) throw new RangeError(`Invalid first_send_at: ${schedule.first_send_at}`);
  const local = first.setZone(schedule.time_zone);
  // An unknown zone falls back to UTC rather than making a mailing unschedulable.
  return local.isValid ? local : first;
}

function step(periodicity: Periodicity, k: number): DurationLikeObject {
  switch (periodicity) {
    case "daily":
      return { days: k };
    case "weekly":
      return { weeks: k };
    case "monthly":
      return { months: k };
    case "once":
      return {};
  }
}

/** The k-th occurrence (k ≥ 0) as a UTC instant, ignoring the end. */
export function occurrenceAt(schedule: Schedule, k: number): Date {
  if (k === 0 || schedule.periodicity === "once") return firstLocal(schedule).toJSDate();
  return firstLocal(schedule).plus(step(schedule.periodicity, k)).toJSDate();
}

/** A lower bound for the index of the first occurrence at or after `t` (cheap, then we walk). */
function estimateIndex(schedule: Schedule, t: Date): number {
  const first = firstLocal(schedule);
  const elapsed = t.getTime() - first.toMillis();
  if (elapsed <= 0 || schedule.periodicity === "once") return 0;
  let k: number;
  if (schedule.periodicity === "daily") k = Math.floor(elapsed / DAY_MS);
  else if (schedule.periodicity === "weekly") k = Math.floor(elapsed / (7 * DAY_MS));
  else {
    const local = DateTime.fromJSDate(t).setZone(first.zone);
    k = (local.year - first.year) * 12 + (local.month - first.month);
  }
  // Offsets move instants by hours at most; two steps back is always early enough.
  return Math.max(0, k - 2);
}

function isBeforeEnd(schedule: Schedule, at: Date): boolean {
  return at.getTime() < Date.parse(schedule.end_at);
}

/**
 * The first occurrence after `after` (or at it, when inclusive), or null when there is none before the
 * end.
 */
export function occurrenceAfter(schedule: Schedule, after: Date, inclusive = false): Date | null {
  const t = after.getTime();
  const passes = (d: Date) => (inclusive ? d.getTime() >= t : d.getTime() > t);
  if (schedule.periodicity === "once") {
    const first = occurrenceAt(schedule, 0);
    return passes(first) && isBeforeEnd(schedule, first) ? first : null;
  }
  for (let k = estimateIndex(schedule, after); ; k++) {
    const at = occurrenceAt(schedule, k);
    if (!isBeforeEnd(schedule, at)) return null;
    if (passes(at)) return at;
  }
}

/** The latest occurrence at or before `now` (and before the end), or null when none has come yet. */
export function occurrenceAtOrBefore(schedule: Schedule, now: Date): Date | null {
  const t = now.getTime();
  const fits = (at: Date) => at.getTime() <= t && isBeforeEnd(schedule, at);
  if (schedule.periodicity === "once") {
    const first = occurrenceAt(schedule, 0);
    return fits(first) ? first : null;
  }
  let k = estimateIndex(schedule, now);
  let at = occurrenceAt(schedule, k);
  while (k > 0 && !fits(at)) at = occurrenceAt(schedule, --k);
  if (!fits(at)) return null;
  for (;;) {
    const next = occurrenceAt(schedule, k + 1);
    if (!fits(next)) return at;
    at = next;
    k++;
  }
}

/** Up to `count` occurrences at or after `from`, for "next planned sends" on the mailing page. */
export function nextOccurrences(schedule: Schedule, from: Date, count: number): Date[] {
  const result: Date[] = [];
  let cursor = occurrenceAfter(schedule, from, true);
  while (cursor && result.length < count) {
    result.push(cursor);
    cursor = occurrenceAfter(schedule, cursor);
  }
  return result;
}

/**
 * The next_run_at to store after a scheduled run has been created at `now`: the first occurrence after
 * now. Missed occurrences in between are skipped on purpose, so downtime gives one catch-up run, not a
 * burst. Null when the schedule has nothing left before its end.
 */
export function planNextRun(schedule: Schedule, now: Date): string | null {
  return occurrenceAfter(schedule, now)?.toISOString() ?? null;
}

/**
 * The next_run_at for a mailing that was just created or edited.
 * - first send in the future → the first send;
 * - now within [first send, end) and the current occurrence has not been run (lastRunAt earlier than it,
 *   or never) → that occurrence, which is ≤ now, so the scheduler sends right away;
 * - already run for the current occurrence → the next occurrence (null when none is left);
 * - past the end → null.
 */
export function initialNextRun(schedule: Schedule, now: Date, lastRunAt: string | null): string | null {
  if (now.getTime() >= Date.parse(schedule.end_at)) return null;
  const current = occurrenceAtOrBefore(schedule, now);
  if (!current) return occurrenceAfter(schedule, now, true)?.toISOString() ?? null;
  if (lastRunAt === null || Date.parse(lastRunAt) < current.getTime()) return current.toISOString();
  return planNextRun(schedule, now);
}

/** Whether a mailing's schedule is over at `now` (nothing left to send): the scheduler completes it. */
export function isScheduleOver(schedule: Schedule, now: Date): boolean {
  return now.getTime() >= Date.parse(schedule.end_at);
}
