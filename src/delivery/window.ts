/**
 * Pure: a mailing's sending window — the weekdays and the hours (in the mailing's time zone) within which its
 * runs send. A run that reaches the end of the window waits and resumes at the next opening.
 */
import { DateTime } from "luxon";

export interface SendWindow {
  /** ISO weekdays: 1 = Monday … 7 = Sunday. */
  days: number[];
  /** "HH:MM", wall clock in the mailing's zone; start < end (no window across midnight). */
  start: string;
  end: string;
}

const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** The stored window (mailings.send_window, JSON), or null for none (or a value that does not parse). */
export function parseSendWindow(text: string | null | undefined): SendWindow | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as SendWindow;
    const time = /^([01]\d|2[0-3]):[0-5]\d$/;
    if (!Array.isArray(v.days) || v.days.length === 0 || !time.test(v.start) || !time.test(v.end))
      return null;
    if (v.start >= v.end || v.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) return null;
    return v;
  } catch {
    return null;
  }
}

function at(day: DateTime, hhmm: string): DateTime {
  const [h, m] = hhmm.split(":").map(Number);
  return day.set({ hour: h!, minute: m!, second: 0, millisecond: 0 });
}

/**
 * When the window next opens, or null when it is open now. A wall-clock time that a DST change skips
 * (02:30 on the spring-forward day) is moved forward by the gap, as luxon does.
 */
export function nextOpening(window: SendWindow, zone: string, now: Date): Date | null {
  const local = DateTime.fromJSDate(now, { zone });
  for (let i = 0; i <= 7; i++) {
    const day = local.plus({ days: i }).startOf("day");
    if (!window.days.includes(day.weekday)) continue;
    const start = at(day, window.start);
    const end = at(day, window.end);
    if (local < start) return start.toJSDate();
    if (local < end) return null;
  }
  // Unreachable for a valid window (some day within the next week opens); stay closed for a day.
  return local.plus({ days: 1 }).toJSDate();
}

/** "Mon–Fri 09:00–18:00", "Mon, Wed 08:00–12:00", "Every day 09:00–17:00". */
/** The words of a window's description: English unless a page passes its language's. */
export interface WindowWords {
  everyDay: string;
  /** Monday first. */
  days: readonly string[];
}

export function describeWindow(
  window: SendWindow,
  words: WindowWords = { everyDay: "Every day", days: DAY_NAMES },
): string {
  const days = [...new Set(window.days)].sort((a, b) => a - b);
  let text: string;
  if (days.length === 7) text = words.everyDay;
  else {
    const runs: string[] = [];
    for (let i = 0; i < days.length; ) {
      let j = i;
      while (j + 1 < days.length && days[j + 1] === days[j]! + 1) j++;
      const from = words.days[days[i]! - 1]!;
      const to = words.days[days[j]! - 1]!;
      runs.push(j - i >= 2 ? `${from}–${to}` : j > i ? `${from}, ${to}` : from);
      i = j + 1;
    }
    text = runs.join(", ");
  }
  return `${text} ${window.start}–${window.end}`;
}
