import { describe, expect, it } from "vitest";
import { canonicalTimeZone, timeZones } from "../../src/shared/fields.js";
import {
  CURRENT_ZONE_NAMES,
  calendarLabel,
  formatInZone,
  fromLocalInput,
  toLocalInput,
  zoneGroups,
} from "../../src/shared/time.js";

describe("time", () => {
  it("names a chart's days and months in the reader's language", () => {
    expect(calendarLabel("2026-11-04", "en")).toBe("4 Nov");
    expect(calendarLabel("2026-11-04", "ru")).toBe("4 нояб.");
    expect(calendarLabel("2026-11", "en")).toBe("Nov 2026");
    expect(calendarLabel("2026-11", "ru")).toBe("нояб. 2026");
    expect(calendarLabel("250", "en")).toBe("250");
  });

  it("reads datetime-local values as wall-clock time in the zone", () => {
    expect(fromLocalInput("2027-03-01T09:00", "Europe/Berlin")?.toISOString()).toBe(
      "2027-03-01T08:00:00.000Z",
    );
    expect(fromLocalInput("2027-07-01T09:00", "Europe/Berlin")?.toISOString()).toBe(
      "2027-07-01T07:00:00.000Z",
    );
    expect(fromLocalInput("2027-07-01T09:00:30", "America/New_York")?.toISOString()).toBe(
      "2027-07-01T13:00:30.000Z",
    );
    expect(fromLocalInput("2027-07-01T09:00", "UTC")?.toISOString()).toBe("2027-07-01T09:00:00.000Z");
  });

  it("refuses what is not a datetime-local value", () => {
    for (const bad of [
      "",
      "tomorrow",
      "2027-03-01",
      "2027-13-01T09:00",
      "2027-02-30T09:00",
      "2027-03-01 09:00",
    ]) {
      expect(fromLocalInput(bad, "UTC"), bad).toBeNull();
    }
  });

  it("shows UTC timestamps back in the zone, round-tripping the form value", () => {
    expect(toLocalInput("2027-03-01T08:00:00.000Z", "Europe/Berlin")).toBe("2027-03-01T09:00");
    expect(toLocalInput("2027-07-01T07:00:00.000Z", "Europe/Berlin")).toBe("2027-07-01T09:00");
    expect(toLocalInput(null, "UTC")).toBe("");
    expect(toLocalInput("garbage", "UTC")).toBe("");
    const value = "2027-10-31T01:30";
    expect(toLocalInput(fromLocalInput(value, "Australia/Sydney")!.toISOString(), "Australia/Sydney")).toBe(
      value,
    );
  });

  it("formats for people in the zone, with a dash for nothing", () => {
    expect(formatInZone("2026-11-24T13:05:00.000Z", "Europe/Berlin")).toBe(
      "24 Nov 2026, 14:05 (Europe/Berlin)",
    );
    expect(formatInZone("2026-11-24T13:05:00.000Z", "UTC")).toBe("24 Nov 2026, 13:05 UTC");
    expect(formatInZone(null, "UTC")).toBe("—");
    expect(formatInZone("not a date", "UTC")).toBe("—");
  });
});

describe("time-zone names for the picker", () => {
  it("offers current names (Kolkata, Kyiv), not the old ones Node still lists, grouped by region with UTC first", () => {
    const groups = zoneGroups(timeZones());
    const all = groups.flatMap((g) => g.zones);
    expect(all).toContain("Asia/Kolkata");
    expect(all).toContain("Europe/Kyiv");
    expect(all).toContain("America/Argentina/Buenos_Aires");
    for (const old of Object.keys(CURRENT_ZONE_NAMES)) expect(all).not.toContain(old);
    expect(new Set(all).size).toBe(all.length);
    expect(groups[0]).toEqual({ region: "UTC", zones: ["UTC"] });
    const europe = groups.find((g) => g.region === "Europe")!;
    expect(europe.zones.every((z) => z.startsWith("Europe/"))).toBe(true);
    expect(europe.zones).toEqual([...europe.zones].sort());
  });

  it("stores a zone by its current name, whichever spelling was sent", () => {
    expect(canonicalTimeZone("Europe/Kiev")).toBe("Europe/Kyiv");
    expect(canonicalTimeZone("europe/kyiv")).toBe("Europe/Kyiv");
    expect(canonicalTimeZone("Asia/Calcutta")).toBe("Asia/Kolkata");
    expect(canonicalTimeZone("europe/berlin")).toBe("Europe/Berlin");
    // Times in a current name still format (luxon reads it through Intl).
    expect(formatInZone("2026-07-01T12:00:00.000Z", "Europe/Kyiv")).toBe("1 Jul 2026, 15:00 (Europe/Kyiv)");
  });
});
