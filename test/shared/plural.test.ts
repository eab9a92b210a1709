import { describe, expect, it } from "vitest";
import { countOf } from "../../src/shared/plural.js";

describe("countOf", () => {
  it("puts the noun in the singular for one only", () => {
    expect(countOf(1, "recipient")).toBe("1 recipient");
    expect(countOf(0, "recipient")).toBe("0 recipients");
    expect(countOf(1754, "recipient")).toBe("1,754 recipients");
    expect(countOf(2, "reply", "replies")).toBe("2 replies");
  });
});
