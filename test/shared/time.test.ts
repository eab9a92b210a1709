import { describe, expect, it } from "vitest";
import { formatInZone, fromLocalInput, toLocalInput } from "../../src/shared/time.js";

describe("time", () => {
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
