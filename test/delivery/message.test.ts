import { describe, expect, it } from "vitest";
import {
  listHeaders,
  prepareMessage,
  UNSUBSCRIBE_PLACEHOLDER,
  unsubscribeExtras,
} from "../../src/delivery/message.js";

const FROM = "PostPilot <news@example.org>";
const URL_A = `https://mail.example.org/u/${"A".repeat(8)}.${"b".repeat(22)}`;
const URL_B = "https://mail.example.org/u/MTIz.x-_y=z"; // "=" must be escaped in quoted-printable

/** The decoded text body of a raw message (quoted-printable or 7bit). */
function bodyOf(raw: Buffer): { text: string; encoding: string; lines: string[] } {
  const s = raw.toString("latin1");
  const end = s.indexOf("\r\n\r\n");
  const encoding = /content-transfer-encoding:\s*(\S+)/i.exec(s.slice(0, end))?.[1] ?? "7bit";
  const body = s.slice(end + 4);
  const decoded =
    encoding === "quoted-printable"
      ? Buffer.from(
          body
            .replace(/=\r\n/g, "")
            .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16))),
          "latin1",
        ).toString("utf8")
      : body;
  return { text: decoded, encoding, lines: body.split("\r\n") };
}

describe("prepareMessage with unsubscribe links", () => {
  const prepare = (body: string) =>
    prepareMessage({
      from: FROM,
      subject: "Привет",
      body,
      date: new Date("2026-12-01T00:00:00Z"),
      headers: listHeaders(7, FROM, true),
      unsubscribeFooter: `Unsubscribe: ${UNSUBSCRIBE_PLACEHOLDER}`,
    });

  it("puts each copy's link at the placeholder of a non-ASCII body, quoted-printable intact", async () => {
    const long = `Привет! ${"Длинная строка текста ".repeat(8)}ссылка: ${UNSUBSCRIBE_PLACEHOLDER} конец.`;
    const sut = await prepare(long);
    for (const url of [URL_A, URL_B]) {
      const raw = sut.forRecipient(
        "a@example.com",
        "m1@example.org",
        unsubscribeExtras({ url, mailto: null }),
      );
      const { text, encoding, lines } = bodyOf(raw);
      expect(encoding).toBe("quoted-printable");
      expect(text).toContain(`ссылка: ${url} конец.`);
      expect(text).toContain("Привет!");
      expect(text).not.toContain("Unsubscribe:");
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(76);
    }
  });

  it("appends the footer when the body has no placeholder, for ASCII and non-ASCII bodies", async () => {
    for (const body of ["Hello there", "Привет, мир"]) {
      const sut = await prepare(body);
      const raw = sut.forRecipient(
        "a@example.com",
        "m1@example.org",
        unsubscribeExtras({ url: URL_B, mailto: null }),
      );
      const { text, encoding } = bodyOf(raw);
      expect(encoding).not.toBe("base64");
      expect(text).toContain(body);
      expect(text).toContain(`Unsubscribe: ${URL_B}`);
    }
  });

  it("stamps List-Unsubscribe per copy and List-Id / List-Unsubscribe-Post once", async () => {
    const sut = await prepare("Hello");
    const raw = sut
      .forRecipient(
        "a@example.com",
        "m1@example.org",
        unsubscribeExtras({ url: URL_A, mailto: "mailto:unsub@example.org?subject=unsubscribe" }),
      )
      .toString("latin1");
    const headers = raw.slice(0, raw.indexOf("\r\n\r\n"));
    expect(headers).toContain(
      `List-Unsubscribe: <${URL_A}>,\r\n <mailto:unsub@example.org?subject=unsubscribe>`,
    );
    expect(headers).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(headers.toLowerCase()).toContain("list-id: <mailing-7.example.org>");
  });

  it("refuses a link that could break the header", () => {
    expect(() => unsubscribeExtras({ url: "https://x/u/a>\r\nBcc: evil@x", mailto: null })).toThrow();
  });
});
