import { describe, expect, it } from "vitest";
import { mailingSchema, memberChangeSchema, parseTime } from "../../src/mailings/mailings.schemas.js";

const input = (overrides: Record<string, unknown> = {}) => ({
  name: "Spring news",
  message_id: "3",
  first_send_at: "2027-03-01T09:00",
  end_at: "2027-04-01T09:00",
  periodicity: "weekly",
  time_zone: "Europe/Berlin",
  ...overrides,
});

const issues = (value: unknown) => {
  const result = mailingSchema.safeParse(value);
  if (result.success) return {};
  return Object.fromEntries(result.error.issues.map((i) => [i.path.join("."), i.message]));
};

describe("mailingSchema", () => {
  it("stores times entered in the mailing's zone as UTC, in winter and in summer", () => {
    const winter = mailingSchema.parse(input());
    expect(winter.first_send_at).toBe("2027-03-01T08:00:00.000Z");
    expect(winter.end_at).toBe("2027-04-01T07:00:00.000Z");
    expect(winter.message_id).toBe(3);
    const summer = mailingSchema.parse(
      input({ first_send_at: "2027-07-01T09:00", end_at: "2027-08-01T09:00" }),
    );
    expect(summer.first_send_at).toBe("2027-07-01T07:00:00.000Z");
    const newYork = mailingSchema.parse(input({ time_zone: "America/New_York" }));
    expect(newYork.first_send_at).toBe("2027-03-01T14:00:00.000Z");
  });

  it("takes an instant with an offset as that instant, whatever the zone", () => {
    expect(parseTime("2027-03-01T09:00:00Z", "Europe/Berlin")?.toISOString()).toBe(
      "2027-03-01T09:00:00.000Z",
    );
    expect(parseTime("2027-03-01T09:00:00+02:00", "UTC")?.toISOString()).toBe("2027-03-01T07:00:00.000Z");
    expect(parseTime("zzz", "UTC")).toBeNull();
  });

  it("bounds offsets to ±14:00 and years to 1970-9999 (finding 6)", () => {
    expect(parseTime("2027-03-01T09:00:00+14:00", "UTC")?.toISOString()).toBe("2027-02-28T19:00:00.000Z");
    expect(parseTime("2027-03-01T09:00:00-12:00", "UTC")?.toISOString()).toBe("2027-03-01T21:00:00.000Z");
    for (const bad of [
      "2027-03-01T09:00:00+25:00",
      "2027-03-01T09:00:00+14:01",
      "2027-03-01T09:00-1500",
      "2027-03-01T09:00:00+02:60",
    ]) {
      expect(parseTime(bad, "UTC"), bad).toBeNull();
    }
    for (const bad of [
      "0000-01-01T00:00",
      "1969-12-31T23:59",
      "0000-01-01T00:00:00Z",
      "+010000-01-01T00:00:00Z",
    ]) {
      expect(parseTime(bad, "UTC"), bad).toBeNull();
    }
    expect(parseTime("9999-12-31T23:59", "UTC")?.toISOString()).toBe("9999-12-31T23:59:00.000Z");
    expect(parseTime("1970-01-01T00:00", "UTC")?.toISOString()).toBe("1970-01-01T00:00:00.000Z");
    expect(issues(input({ first_send_at: "0000-01-01T00:00" }))).toEqual({
      first_send_at: "First send is not a date and time.",
    });
  });

  it("stores the time zone in its canonical spelling (finding 6)", () => {
    expect(mailingSchema.parse(input({ time_zone: "europe/berlin" })).time_zone).toBe("Europe/Berlin");
  });

  it("puts end before or equal to the first send on the end field", () => {
    expect(issues(input({ end_at: "2027-03-01T08:59" }))).toEqual({
      end_at: "End must be after the first send.",
    });
    expect(issues(input({ end_at: "2027-03-01T09:00" }))).toEqual({
      end_at: "End must be after the first send.",
    });
  });

  it("needs no End for a one-off: it may be sent for a day after its first send", () => {
    const once = mailingSchema.parse(input({ periodicity: "once", end_at: "" }));
    expect(once.first_send_at).toBe("2027-03-01T08:00:00.000Z");
    expect(once.end_at).toBe("2027-03-02T08:00:00.000Z");
    const { end_at: _, ...withoutEnd } = input({ periodicity: "once" });
    expect(mailingSchema.parse(withoutEnd).end_at).toBe("2027-03-02T08:00:00.000Z");
    // A one-off's End, sent by a form that hid it, is ignored.
    expect(mailingSchema.parse(input({ periodicity: "once" })).end_at).toBe("2027-03-02T08:00:00.000Z");
  });

  it("names each field that is missing or not a date", () => {
    expect(issues(input({ first_send_at: "soon", end_at: "later" }))).toEqual({
      first_send_at: "First send is not a date and time.",
      end_at: "End is not a date and time.",
    });
    expect(issues(input({ end_at: "" }))).toEqual({ end_at: "End is required for a repeating mailing." });
    expect(issues(input({ message_id: "" }))).toEqual({ message_id: "Choose a message." });
    expect(issues(input({ periodicity: "hourly" }))).toHaveProperty("periodicity");
    expect(issues(input({ time_zone: "Mars/Olympus" }))).toHaveProperty("time_zone");
    expect(issues(input({ name: "Two\nlines" }))).toEqual({ name: "Name must be a single line." });
  });
});

describe("mailingSchema, all at once", () => {
  it("reports every bad field in one go, not one batch at a time", () => {
    const found = issues(input({ name: "", message_id: "", first_send_at: "soon", periodicity: "hourly" }));
    expect(Object.keys(found).sort()).toEqual(["first_send_at", "message_id", "name", "periodicity"]);
    expect(found.first_send_at).toBe("First send is not a date and time.");
    expect(found.message_id).toBe("Choose a message.");
  });
});

describe("memberChangeSchema", () => {
  it("accepts one ticked id or many, and none", () => {
    expect(memberChangeSchema.parse({ action: "add", ids: "4" }).ids).toEqual([4]);
    expect(memberChangeSchema.parse({ action: "add", ids: ["4", "5"] }).ids).toEqual([4, 5]);
    expect(memberChangeSchema.parse({ action: "remove_matching" }).ids).toEqual([]);
    expect(memberChangeSchema.safeParse({ action: "add", ids: ["4", "x"] }).success).toBe(false);
    expect(memberChangeSchema.safeParse({ action: "drop_table" }).success).toBe(false);
  });
});
