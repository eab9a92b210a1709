/** The outbox's decoded view of a stored message: headers, parts, attachments, links in the text. */
import { describe, expect, it } from "vitest";
import { attachmentDisposition, linkify, outboxView, safeFilename } from "../../src/delivery/outbox.view.js";
import { SAMPLE } from "./outbox.fixtures.js";

describe("outboxView", () => {
  it("decodes encoded subjects and names, keeps every header, and reads both alternatives", async () => {
    const sut = await outboxView(SAMPLE);
    expect(sut.subject).toBe("Café news");
    expect(sut.from).toBe("Анна <ann@example.com>");
    expect(sut.to).toBe("Bob <bob@example.com>, carl@example.com");
    expect(sut.cc).toBe("Dan É <dan@example.com>");
    expect(sut.replyTo).toBe("replies@example.com");
    expect(sut.date).toBe("2026-11-24T13:05:09.000Z");
    expect(sut.messageId).toBe("<abc@example.com>");
    expect(sut.listUnsubscribe).toBe("<https://x.example/u>");
    expect(sut.headers).toContainEqual({ name: "X-Note", value: "привет" });
    expect(sut.headers.map((h) => h.name).slice(0, 3)).toEqual(["From", "To", "Cc"]);
    expect(sut.text).toContain("Read https://example.com/a?b=1&c=2.");
    expect(sut.html).toContain("<script>alert(1)</script>");
  });

  it("lists attachments with a decoded name, type, size and content", async () => {
    const [pdf, ...rest] = (await outboxView(SAMPLE)).attachments;
    expect(rest).toEqual([]);
    expect(pdf).toMatchObject({
      index: 0,
      name: "отчёт.pdf",
      safeName: "отчёт.pdf",
      mimeType: "application/pdf",
    });
    expect(pdf!.size).toBe(14);
    expect(Buffer.from(pdf!.content).toString()).toBe("%PDF-1.4 hello");
  });

  it("reads a plain single-part message with no date and no attachment", async () => {
    const sut = await outboxView(
      "From: a@example.com\r\nTo: b@example.com\r\nSubject: Hi\r\n\r\nJust text\r\n",
    );
    expect(sut).toMatchObject({ subject: "Hi", html: null, date: null, attachments: [], cc: "" });
    expect(sut.text).toBe("Just text\n");
  });
});

describe("safeFilename", () => {
  it("drops paths, quotes, control and direction characters and leading dots", () => {
    expect(safeFilename("../../etc/passwd")).toBe("passwd");
    expect(safeFilename('a"b\r\nc.txt')).toBe("a_b__c.txt");
    expect(safeFilename("..hidden")).toBe("hidden");
    expect(safeFilename("evil\u202Etxt.exe")).toBe("evil_txt.exe");
    expect(safeFilename("...", 2)).toBe("attachment-3");
    expect(Array.from(safeFilename("я".repeat(300)))).toHaveLength(100);
  });

  it("makes a Content-Disposition with an ASCII name and the UTF-8 one", () => {
    expect(attachmentDisposition("отчёт 1.pdf")).toBe(
      "attachment; filename=\"_____ 1.pdf\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%201.pdf",
    );
    expect(attachmentDisposition("отчёт")).toBe(
      "attachment; filename=\"attachment\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82",
    );
  });
});

describe("linkify", () => {
  it("links http(s) URLs only, leaving closing punctuation outside", () => {
    expect(linkify("See https://example.com/a?b=1&c=2. Or (http://x.example/p).")).toEqual([
      { text: "See " },
      { text: "https://example.com/a?b=1&c=2", href: "https://example.com/a?b=1&c=2" },
      { text: ". Or (" },
      { text: "http://x.example/p", href: "http://x.example/p" },
      { text: ")." },
    ]);
  });

  it("never links javascript:, data: or other schemes", () => {
    for (const text of [
      "javascript:alert(1)",
      "data:text/html,<script>",
      "ftp://example.com",
      "mailto:a@b.c",
    ])
      expect(linkify(text)).toEqual([{ text }]);
    // A URL inside a javascript: one is linked as itself, with its http(s) scheme and nothing before it.
    expect(linkify("javascript:https://x.example")).toEqual([
      { text: "javascript:" },
      { text: "https://x.example", href: "https://x.example" },
    ]);
  });
});
