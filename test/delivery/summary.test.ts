import { describe, expect, it } from "vitest";
import { runOutcome } from "../../src/delivery/run-outcome.js";
import { failureLine, maskAddresses, parseResponse, summarize } from "../../src/delivery/summary.js";

describe("summarize", () => {
  it("groups failures by code and enhanced status, with a masked sample, largest first", () => {
    const response = summarize(
      [
        { code: 250, count: 10 },
        { code: 550, count: 501 },
        { code: null, count: 3 },
      ],
      [
        { code: 552, enhanced: "5.2.2", text: "552 5.2.2 Mailbox full", count: 2 },
        {
          code: 550,
          enhanced: "5.1.1",
          text: "550 5.1.1 <ann@example.com>: Recipient address rejected: user unknown",
          count: 501,
        },
        { code: null, enhanced: null, text: null, count: 3 },
      ],
    );
    expect(response.codes).toEqual({ "250": 10, "550": 501, none: 3 });
    expect(response.failures).toEqual([
      {
        code: 550,
        enhanced: "5.1.1",
        text: "550 5.1.1 <…>: Recipient address rejected: user unknown",
        count: 501,
      },
      { code: null, enhanced: null, text: "Unknown error", count: 3 },
      { code: 552, enhanced: "5.2.2", text: "552 5.2.2 Mailbox full", count: 2 },
    ]);
    expect(response.failures.map(failureLine)).toEqual([
      "501 × 550 5.1.1 <…>: Recipient address rejected: user unknown",
      "3 × Unknown error",
      "2 × 552 5.2.2 Mailbox full",
    ]);
  });

  it("masks addresses with and without angle brackets, and leaves other text alone", () => {
    expect(maskAddresses("550 5.1.1 bob.smith+news@mail.example.org... User unknown")).toBe(
      "550 5.1.1 <…>... User unknown",
    );
    expect(maskAddresses("to=<x@y.test>, relay=none")).toBe("to=<…>, relay=none");
    expect(maskAddresses("421 4.4.2 mx.example.com Connection timed out")).toBe(
      "421 4.4.2 mx.example.com Connection timed out",
    );
  });
});

describe("parseResponse", () => {
  it("reads the grouped shape", () => {
    const stored = JSON.stringify({
      codes: { "550": 2 },
      failures: [{ code: 550, enhanced: "5.1.1", text: "550 5.1.1 <…> unknown", count: 2 }],
    });
    expect(parseResponse(stored)).toEqual(JSON.parse(stored));
  });

  it("reads runs finished before grouping: one entry per text, masked, without code", () => {
    const old = '{"codes":{"250":1,"550":2},"failures":[{"text":"550 5.1.1 <a@b.test> unknown","count":1}]}';
    const response = parseResponse(old)!;
    expect(response).toEqual({
      codes: { "250": 1, "550": 2 },
      failures: [{ code: null, enhanced: null, text: "550 5.1.1 <…> unknown", count: 1 }],
    });
    expect(failureLine(response.failures[0]!)).toBe("1 × 550 5.1.1 <…> unknown");
  });

  it("gives null for nothing or garbage, and skips broken entries", () => {
    expect(parseResponse(null)).toBeNull();
    expect(parseResponse("{not json")).toBeNull();
    expect(parseResponse('"text"')).toBeNull();
    expect(parseResponse('{"codes":{"250":"x"},"failures":[null,{"text":"t"}]}')).toEqual({
      codes: {},
      failures: [],
    });
  });
});

describe("runOutcome", () => {
  it("says what a run's status means from the status and its counts", () => {
    expect(runOutcome("sending", { sent: 3, failed: 1 })).toEqual({ outcome: "sending", label: "Sending" });
    expect(runOutcome("success", { sent: 3, failed: 0 })).toEqual({ outcome: "sent", label: "Sent" });
    expect(runOutcome("failure", { sent: 3, failed: 2 })).toEqual({
      outcome: "partly_failed",
      label: "Partly failed (2)",
    });
    expect(runOutcome("failure", { sent: 0, failed: 5 })).toEqual({ outcome: "failed", label: "Failed" });
  });
});
