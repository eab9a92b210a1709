import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, keysetPage, seekOf } from "../../src/shared/pagination.js";

describe("keyset pagination", () => {
  it("round-trips a sort key through a cursor and refuses anything else", () => {
    expect(decodeCursor(encodeCursor(["2026-12-02T10:00:00.000Z", 42]))).toEqual([
      "2026-12-02T10:00:00.000Z",
      42,
    ]);
    expect(decodeCursor(encodeCursor(["ann", 7]))).toEqual(["ann", 7]);
    expect(decodeCursor("not-a-cursor")).toBeNull();
    expect(decodeCursor(Buffer.from('["a"]').toString("base64url"))).toBeNull();
    expect(decodeCursor(Buffer.from('[{"x":1},2]').toString("base64url"))).toBeNull();
    expect(decodeCursor(undefined)).toBeNull();
    expect(seekOf({ after: "junk" })).toEqual({ from: "start" });
  });

  it("gives Next only when a further row was read, and Previous after a cursor", () => {
    const key = (n: number) => [n, n] as [number, number];
    const first = keysetPage([1, 2, 3], 2, { from: "start" }, key);
    expect(first.items).toEqual([1, 2]);
    expect(first.cursors.prev).toBeNull();
    expect(decodeCursor(first.cursors.next)).toEqual([2, 2]);
    const last = keysetPage([3], 2, { from: "after", key: [2, 2] }, key);
    expect(last.cursors.next).toBeNull();
    expect(decodeCursor(last.cursors.prev)).toEqual([3, 3]);
    // Seeking before reads backwards: rows come in reverse and are shown in order.
    const back = keysetPage([2, 1], 2, { from: "before", key: [3, 3] }, key);
    expect(back.items).toEqual([1, 2]);
    expect(back.cursors.prev).toBeNull();
    expect(decodeCursor(back.cursors.next)).toEqual([2, 2]);
  });
});
