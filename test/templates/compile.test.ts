import { describe, expect, it } from "vitest";
import { DEFAULT_LAYOUT_HTML, DEFAULT_LAYOUT_TEXT } from "../../src/db/migrations/default-layout.js";
import { checkTemplates, describeProblem, sampleContext } from "../../src/templates/check.js";
import { compileMessage } from "../../src/templates/compile.js";
import { formatAddress } from "../../src/templates/mime.js";

const layout = { html: DEFAULT_LAYOUT_HTML, text: DEFAULT_LAYOUT_TEXT };

describe("compileMessage", () => {
  it("renders Markdown in a layout: CSS inlined, text part derived with links as text [url], values escaped", () => {
    const compiled = compileMessage({
      format: "markdown",
      subject: "Hi {{ recipient.first_name }}",
      body: "# Hello {{ recipient.full_name }}\n\nRead [the news](https://example.com/news).",
      layout,
    });
    const ctx = sampleContext();
    ctx.recipient.full_name = "<img src=x onerror=alert(1)> Иван";
    ctx.recipient.first_name = "Иван";
    const out = compiled.render(ctx);
    expect(out.subject).toBe("Hi Иван");
    expect(out.html).toContain("Hello &lt;img src=x onerror=alert(1)&gt; Иван");
    expect(out.html).not.toContain("<img src=x");
    expect(out.html).toMatch(/<h1 style="[^"]*font-size: 24px/);
    expect(out.html).toContain('href="https://example.com/u/sample"');
    expect(out.text).toContain("Hello <img src=x onerror=alert(1)> Иван");
    expect(out.text).toContain("the news [https://example.com/news]");
    expect(out.text).toContain("Unsubscribe: https://example.com/u/sample");
  });

  it("keeps an HTML body as written and lets | raw through unescaped", () => {
    const compiled = compileMessage({
      format: "html",
      subject: "S",
      body: '<p class="x">{{ recipient.comment }} {{ recipient.comment | raw }}</p>',
      layout: null,
      unsubscribeFooter: "Stop: {{unsubscribe_url}}",
    });
    const ctx = sampleContext();
    ctx.recipient.comment = "<b>VIP</b>";
    const out = compiled.render(ctx);
    expect(out.html).toContain("&lt;b&gt;VIP&lt;/b&gt; <b>VIP</b>");
    expect(out.html).toContain('<a href="https://example.com/u/sample">https://example.com/u/sample</a>');
    expect(out.text).toContain("Stop: https://example.com/u/sample");
  });

  it("sends plain text single-part, with the footer only when the body places no link", () => {
    const withLink = compileMessage({
      format: "text",
      subject: "S",
      body: "Dear {{ recipient.full_name }}, leave at {{ unsubscribe_url }}",
      layout: null,
      unsubscribeFooter: "Footer {{unsubscribe_url}}",
    }).render(sampleContext());
    expect(withLink.html).toBeNull();
    expect(withLink.text).toBe("Dear Ada Lovelace, leave at https://example.com/u/sample");
    const without = compileMessage({
      format: "text",
      subject: "S",
      body: "Dear {{ recipient.full_name | upcase }}",
      layout: null,
      unsubscribeFooter: "Footer {{unsubscribe_url}}",
    }).render(sampleContext());
    expect(without.text).toBe("Dear ADA LOVELACE\n\nFooter https://example.com/u/sample\n");
  });

  it("never starts a new header from a rendered subject", () => {
    const ctx = sampleContext();
    ctx.recipient.comment = "a\r\nBcc: x@evil.test";
    const out = compileMessage({
      format: "text",
      subject: "{{ recipient.comment }}",
      body: "b",
      layout: null,
    }).render(ctx);
    expect(out.subject).toBe("a Bcc: x@evil.test");
  });
});

describe("template checks", () => {
  const check = (source: string, html = false) =>
    checkTemplates([{ field: "body", source, html }], sampleContext()).map(describeProblem);

  it("names the line and column of an unknown variable, an unclosed tag and an unknown filter", () => {
    expect(check("Hello\n  {{ recipient.nmae }}")).toEqual([
      "Line 2, column 6: unknown variable: recipient.nmae",
    ]);
    expect(check("a\n{% if recipient.email %}x")).toEqual([
      "Line 2, column 1: tag {% if recipient.email %} not closed",
    ]);
    expect(check("{{ recipient.email | shout }}")[0]).toMatch(/^Line 1, column 1: unknown filter: shout/);
    expect(check("{% include 'secrets' %}")[0]).toContain(
      "include, render and layout tags are not available",
    );
  });

  it("accepts every documented variable", () => {
    const all =
      "{{ recipient.email }} {{ recipient.full_name }} {{ recipient.first_name }} {{ recipient.comment }} " +
      "{{ mailing.name }} {{ sender.name }} {{ sender.postal_address }} {{ unsubscribe_url }} " +
      '{{ view_in_browser_url }} {{ now | date: "%Y" }} {{ recipient.first_name | default: "there" }}';
    expect(check(all, true)).toEqual([]);
  });
});

describe("formatAddress", () => {
  it("quotes an ASCII name, encodes a Cyrillic one (RFC 2047), and leaves a bare address bare", () => {
    expect(formatAddress('Ann "A" Lee', "ann@example.com")).toBe('"Ann \\"A\\" Lee" <ann@example.com>');
    expect(formatAddress("Иван Иванович Сидоров", "ivan@example.com")).toMatch(
      /^=\?UTF-8\?Q\?.+\?= <ivan@example\.com>$/,
    );
    expect(formatAddress("  ", "x@example.com")).toBe("x@example.com");
  });
});
