import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import type { Periodicity } from "../../src/db/schema.js";
import {
  initialNextRun,
  nextOccurrences,
  occurrenceAfter,
  occurrenceAt,
  occurrenceAtOrBefore,
  planNextRun,
  type Schedule,
} from "../../src/delivery/schedule.js";

const zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"];

function schedule(
  localFirst: string,
  zone: string,
  periodicity: Periodicity,
  end = "2035-01-01T00:00:00Z",
): Schedule {
  const first = DateTime.fromISO(localFirst, { zone });
  return { first_send_at: first.toUTC().toISO()!, end_at: end, periodicity, time_zone: zone };
}

const local = (d: Date, zone: string) => DateTime.fromJSDate(d).setZone(zone);

/** A local first send away from the hours DST moves (01:00–03:59), so the wall-clock time always exists. */
const firstSend = fc.record({
  year: fc.integer({ min: 2024, max: 2030 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 31 }),
  hour: fc.integer({ min: 4, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  zone: fc.constantFrom(...zones),
});

function firstFrom(v: {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  zone: string;
}) {
  const daysInMonth = DateTime.fromObject({ year: v.year, month: v.month }).daysInMonth!;
  return DateTime.fromObject(
    { year: v.year, month: v.month, day: Math.min(v.day, daysInMonth), hour: v.hour, minute: v.minute },
    { zone: v.zone },
  );
}

describe("schedule", () => {
  it("keeps the local wall-clock time of daily and weekly sends across DST", () => {
    fc.assert(
      fc.property(firstSend, fc.constantFrom<Periodicity>("daily", "weekly"), (v, periodicity) => {
        const first = firstFrom(v);
        const s = schedule(first.toISO()!, v.zone, periodicity);
        let previous = 0;
        for (let k = 0; k < 400; k += 7) {
          const at = local(occurrenceAt(s, k), v.zone);
          expect([at.hour, at.minute]).toEqual([v.hour, v.minute]);
          const expectedDate = first.plus(periodicity === "daily" ? { days: k } : { weeks: k });
          expect(at.toISODate()).toBe(expectedDate.toISODate());
          expect(at.toMillis()).toBeGreaterThan(previous);
          previous = at.toMillis();
        }
      }),
      { numRuns: 200 },
    );
  });

  it("sends monthly mailings on the first send's day, or the last day of shorter months", () => {
    fc.assert(
      fc.property(firstSend, (v) => {
        const first = firstFrom(v);
        const s = schedule(first.toISO()!, v.zone, "monthly");
        for (let k = 0; k < 30; k++) {
          const at = local(occurrenceAt(s, k), v.zone);
          const target = first.startOf("month").plus({ months: k });
          expect([at.year, at.month]).toEqual([target.year, target.month]);
          expect(at.day).toBe(Math.min(first.day, target.daysInMonth!));
          expect([at.hour, at.minute]).toEqual([v.hour, v.minute]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("goes 31 Jan → 28 Feb → 31 Mar → 30 Apr (computed from the first send, not chained)", () => {
    const s = schedule("2027-01-31T09:00", "Europe/Berlin", "monthly");
    const days = nextOccurrences(s, new Date("2027-01-01T00:00:00Z"), 4).map((d) =>
      local(d, "Europe/Berlin").toFormat("yyyy-LL-dd HH:mm"),
    );
    expect(days).toEqual(["2027-01-31 09:00", "2027-02-28 09:00", "2027-03-31 09:00", "2027-04-30 09:00"]);
  });

  it("keeps 09:00 in Berlin across the spring and autumn changes (UTC offset moves)", () => {
    const s = schedule("2027-03-27T09:00", "Europe/Berlin", "daily");
    const utc = nextOccurrences(s, new Date("2027-03-01T00:00:00Z"), 2).map((d) => d.toISOString());
    expect(utc).toEqual(["2027-03-27T08:00:00.000Z", "2027-03-28T07:00:00.000Z"]);
    const ny = schedule("2027-11-06T09:00", "America/New_York", "daily");
    const nyUtc = nextOccurrences(ny, new Date("2027-11-01T00:00:00Z"), 2).map((d) => d.toISOString());
    expect(nyUtc).toEqual(["2027-11-06T13:00:00.000Z", "2027-11-07T14:00:00.000Z"]);
  });

  it("moves a send whose local time does not exist on the spring-forward day, and back the next day", () => {
    const s = schedule("2027-03-27T02:30", "Europe/Berlin", "daily");
    const times = nextOccurrences(s, new Date("2027-03-01T00:00:00Z"), 3).map((d) =>
      local(d, "Europe/Berlin").toFormat("dd HH:mm"),
    );
    expect(times).toEqual(["27 02:30", "28 03:30", "29 02:30"]);
  });

  it("finds the first occurrence after any instant, as a brute-force walk does", () => {
    fc.assert(
      fc.property(
        firstSend,
        fc.constantFrom<Periodicity>("once", "daily", "weekly", "monthly"),
        fc.integer({ min: -40 * 86_400_000, max: 800 * 86_400_000 }),
        fc.integer({ min: 1, max: 900 }),
        fc.boolean(),
        (v, periodicity, offsetMs, endDays, inclusive) => {
          const first = firstFrom(v);
          const end = first.plus({ days: endDays }).toUTC().toISO()!;
          const s = schedule(first.toISO()!, v.zone, periodicity, end);
          const all: number[] = [];
          for (let k = 0; k < 1000; k++) {
            const at = occurrenceAt(s, k).getTime();
            if (at >= Date.parse(end) || (k > 0 && periodicity === "once")) break;
            all.push(at);
          }
          const t = first.toMillis() + offsetMs;
          const expected = all.find((a) => (inclusive ? a >= t : a > t)) ?? null;
          expect(occurrenceAfter(s, new Date(t), inclusive)?.getTime() ?? null).toBe(expected);
          const before = all.filter((a) => a <= t).at(-1) ?? null;
          expect(occurrenceAtOrBefore(s, new Date(t))?.getTime() ?? null).toBe(before);
          if (all.includes(t)) expect(occurrenceAfter(s, new Date(t), true)?.getTime()).toBe(t);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("plans the next run after now, skipping missed occurrences (one catch-up, not a burst)", () => {
    const s = schedule("2027-01-01T09:00", "UTC", "daily");
    expect(planNextRun(s, new Date("2027-01-10T12:00:00Z"))).toBe("2027-01-11T09:00:00.000Z");
    expect(
      planNextRun({ ...s, end_at: "2027-01-11T09:00:00Z" }, new Date("2027-01-10T12:00:00Z")),
    ).toBeNull();
  });

  describe(initialNextRun.name, () => {
    const s = schedule("2027-01-01T09:00", "UTC", "daily", "2027-02-01T00:00:00Z");

    it("returns the first send when it is in the future", () => {
      expect(initialNextRun(s, new Date("2026-12-01T00:00:00Z"), null)).toBe("2027-01-01T09:00:00.000Z");
    });

    it("returns the current occurrence (≤ now) when it has not been run, so it sends at once", () => {
      const now = new Date("2027-01-05T10:00:00Z");
      expect(initialNextRun(s, now, null)).toBe("2027-01-05T09:00:00.000Z");
      expect(initialNextRun(s, now, "2027-01-04T09:00:01Z")).toBe("2027-01-05T09:00:00.000Z");
      const once = { ...s, periodicity: "once" as const };
      expect(initialNextRun(once, now, null)).toBe("2027-01-01T09:00:00.000Z");
    });

    it("returns the next occurrence when the current one has been run", () => {
      const now = new Date("2027-01-05T10:00:00Z");
      expect(initialNextRun(s, now, "2027-01-05T09:00:02Z")).toBe("2027-01-06T09:00:00.000Z");
      const once = { ...s, periodicity: "once" as const };
      expect(initialNextRun(once, now, "2027-01-01T09:00:02Z")).toBeNull();
    });

    it("returns null past the end", () => {
      expect(initialNextRun(s, new Date("2027-02-01T00:00:00Z"), null)).toBeNull();
    });
  });
});
