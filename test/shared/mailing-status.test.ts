import { describe, expect, it } from "vitest";
import { statusFor } from "../../src/mailings/mailing-status.js";

const now = new Date("2027-01-10T12:00:00Z");
const mailing = (overrides: Partial<Parameters<typeof statusFor>[0]> = {}) => ({
  end_at: "2027-02-01T00:00:00.000Z",
  periodicity: "daily" as const,
  last_run_at: null,
  ...overrides,
});

describe(statusFor.name, () => {
  it("is Created until the first send", () => {
    expect(statusFor(mailing(), "2027-01-11T09:00:00.000Z", now)).toBe("created");
    expect(statusFor(mailing(), "2027-01-10T09:00:00.000Z", now)).toBe("created");
  });

  it("is Running once sent, while more sends are planned before the end", () => {
    expect(
      statusFor(mailing({ last_run_at: "2027-01-10T09:00:00.000Z" }), "2027-01-11T09:00:00.000Z", now),
    ).toBe("running");
  });

  it("is Completed when the end has passed, sent or not", () => {
    const over = mailing({ end_at: "2027-01-10T12:00:00.000Z" });
    expect(statusFor(over, null, now)).toBe("completed");
    expect(statusFor({ ...over, last_run_at: "2027-01-09T09:00:00.000Z" }, null, now)).toBe("completed");
  });

  it("is Completed when a sent mailing has nothing more planned (a finished one-off)", () => {
    expect(
      statusFor(mailing({ periodicity: "once", last_run_at: "2027-01-10T09:00:00.000Z" }), null, now),
    ).toBe("completed");
  });
});
