import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  email,
  escapeControls,
  id,
  isTimeZone,
  LIMITS,
  listQuery,
  normalizeEmail,
  optionalSingleLine,
  optionalText,
  requiredText,
  singleLine,
  timeZone,
} from "../../src/shared/fields.js";
import { likePattern, pageOf } from "../../src/shared/pagination.js";

const errorOf = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
};

describe("fields", () => {
  it("accepts practical email addresses and rejects the rest with one message", () => {
    const sut = email();
    for (const ok of ["a@example.com", "first.last+tag@sub.example.co.uk", "  Ann@Example.COM  "]) {
      expect(sut.safeParse(ok).success, ok).toBe(true);
    }
    for (const bad of [
      "",
      "plain",
      "a@b",
      "a b@example.com",
      "a@@example.com",
      "<a@example.com>",
      "a@exa mple.com",
    ]) {
      expect(sut.safeParse(bad).success, bad).toBe(false);
    }
    expect(errorOf(sut, "nope")).toBe("Enter a valid email address, like name@example.com.");
    expect(errorOf(sut, "")).toBe("Email is required.");
  });

  it("trims an email but keeps its case; normalizing lowercases and trims", () => {
    expect(email().parse("  Ann@Example.com ")).toBe("Ann@Example.com");
    expect(normalizeEmail("  Ann@Example.COM ")).toBe("ann@example.com");
  });

  it("enforces every documented limit, counting after trimming", () => {
    const long = (n: number) => "x".repeat(n);
    expect(requiredText("Name", LIMITS.name).safeParse(long(LIMITS.name)).success).toBe(true);
    expect(errorOf(requiredText("Name", LIMITS.name), long(LIMITS.name + 1))).toBe(
      `Name must be at most ${LIMITS.name} characters.`,
    );
    expect(requiredText("Name", 3).safeParse("  abc  ").success).toBe(true);
    const address = `${long(LIMITS.email - "@example.com".length)}@example.com`;
    expect(email().safeParse(address).success).toBe(true);
    expect(errorOf(email(), `x${address}`)).toBe(`Email must be at most ${LIMITS.email} characters.`);
  });

  it("refuses NUL characters, which PostgreSQL cannot store", () => {
    expect(errorOf(optionalText("Comment", 10), "a\u0000b")).toBe(
      "Comment contains a character that is not allowed.",
    );
    expect(errorOf(email(), "a\u0000@example.com")).toBe("Email contains a character that is not allowed.");
    const search = listQuery(["name"] as const, "name");
    expect(search.parse({ q: "\u0000" }).q).toBe("");
  });

  it("treats a missing optional field as empty and a blank required one as missing", () => {
    expect(optionalText("Comment", 10).parse(undefined)).toBe("");
    expect(optionalText("Comment", 10).parse(null)).toBe("");
    expect(errorOf(requiredText("Subject", 10), "   ")).toBe("Subject is required.");
    expect(errorOf(requiredText("Subject", 10), undefined)).toBe("Subject is required.");
  });

  it("rejects carriage returns and line feeds inside a single-line field", () => {
    const sut = singleLine("Subject", LIMITS.subject);
    expect(errorOf(sut, "Hello\r\nBcc: x@example.com")).toBe("Subject must be a single line.");
    expect(errorOf(sut, "Hello\rthere")).toBe("Subject must be a single line.");
    expect(errorOf(sut, "Hello\nthere")).toBe("Subject must be a single line.");
    expect(errorOf(sut, "Hello\u2028there")).toBe("Subject must be a single line.");
  });

  it("refuses C0 and C1 controls and text-direction overrides in single-line fields (finding 5)", () => {
    const message =
      "Name contains a control or text-direction character (such as a tab), which is not allowed.";
    for (const sut of [singleLine("Name", 100), optionalSingleLine("Name", 100)]) {
      for (const bad of [
        "a\tb",
        "\u001b[31mred",
        "bell\u0007",
        "a\u007fb",
        "a\u0085b",
        "a\u009bb",
        "evil\u202eexe.txt",
        "a\u2066b",
      ]) {
        expect(errorOf(sut, bad), JSON.stringify(bad)).toBe(message);
      }
      expect(sut.parse("Zoë Ångström 😀 中文")).toBe("Zoë Ångström 😀 中文");
    }
    expect(email().safeParse("a\u202e@example.com").success).toBe(false);
  });

  it("refuses lone surrogates in every text field, which SQLite would store as invalid UTF-8 (finding 6)", () => {
    for (const sut of [optionalText("Comment", 100), singleLine("Name", 100)]) {
      expect(sut.safeParse("a\ud800b").success).toBe(false);
      expect(sut.safeParse("a\udc00b").success).toBe(false);
      expect(sut.safeParse("😀").success).toBe(true);
    }
    expect(errorOf(optionalText("Comment", 100), "a\udfff")).toBe(
      "Comment contains a character that is not allowed.",
    );
  });

  it("canonicalises time zones (finding 6)", () => {
    expect(timeZone().parse("europe/berlin")).toBe("Europe/Berlin");
    expect(timeZone().parse(" AMERICA/NEW_YORK ")).toBe("America/New_York");
    expect(timeZone().parse("UTC")).toBe("UTC");
    expect(timeZone().safeParse("Mars/Olympus").success).toBe(false);
  });

  it("escapes control characters for a terminal", () => {
    expect(escapeControls("\u001b]0;pwned\u0007Ann\u202e")).toBe("\\u{1b}]0;pwned\\u{7}Ann\\u{202e}");
    expect(escapeControls("a\ud800")).toBe("a\\u{d800}");
    expect(escapeControls("Zoë 😀")).toBe("Zoë 😀");
  });

  it("parses ids from URLs and refuses anything that is not a positive 32-bit integer", () => {
    expect(id.parse("42")).toBe(42);
    for (const bad of ["0", "-1", "abc", "1.5", "2147483648", "99999999999999999999", ""]) {
      expect(id.safeParse(bad).error?.issues[0]?.message, bad).toBe("Choose one from the list.");
    }
  });

  it("knows time zones", () => {
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(isTimeZone("")).toBe(false);
    expect(isTimeZone(`Europe/${"x".repeat(80)}`)).toBe(false);
  });

  it("falls back to defaults for list queries instead of failing", () => {
    const sut = listQuery(["name", "created_at"] as const, "created_at");
    expect(sut.parse({})).toEqual({ q: "", page: 1, limit: 25, sort: "created_at", dir: "desc" });
    expect(sut.parse({ q: ["a", "b"], page: "-3", limit: "500", sort: "password", dir: "sideways" })).toEqual(
      {
        q: "",
        page: 1,
        limit: 25,
        sort: "created_at",
        dir: "desc",
      },
    );
    expect(sut.parse({ q: " ann ", page: "3", limit: "10", sort: "name", dir: "asc" })).toEqual({
      q: "ann",
      page: 3,
      limit: 10,
      sort: "name",
      dir: "asc",
    });
    expect(sut.parse({ q: "x".repeat(LIMITS.search + 1) }).q).toBe("");
  });
});

describe("pagination", () => {
  it("takes LIKE wildcards and the escape character literally", () => {
    expect(likePattern("50%")).toBe("%50\\%%");
    expect(likePattern("a_b")).toBe("%a\\_b%");
    expect(likePattern("back\\slash")).toBe("%back\\\\slash%");
    expect(likePattern("ANN")).toBe("%ann%");
  });

  it("counts pages, with at least one", () => {
    expect(pageOf([], 0, 1).pages).toBe(1);
    expect(pageOf([], 25, 1).pages).toBe(1);
    expect(pageOf([], 26, 2).pages).toBe(2);
  });
});

describe("bodyText and optionalSingleLine", () => {
  it("keeps a body exactly as typed, leading indentation included, but refuses a blank one", async () => {
    const { bodyText, optionalSingleLine } = await import("../../src/shared/fields.js");
    const body = bodyText("Body", 100);
    expect(body.parse("  indented\nline\n")).toBe("  indented\nline\n");
    expect(body.safeParse("   \n ").success).toBe(false);
    const name = optionalSingleLine("Full name", 10);
    expect(name.parse(undefined)).toBe("");
    expect(name.parse(" Ann ")).toBe("Ann");
    expect(name.safeParse("Ann\r\nBcc: x@y.z").success).toBe(false);
  });
});
