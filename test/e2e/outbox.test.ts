/**
 * The outbox in Chromium (issue 16): a sent message with a 200-character subject to a long address opens
 * with its headers and its HTML in a sandboxed frame; at 1280 and 390 px neither the list (cards on the
 * phone) nor the message page scrolls sideways.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type Server, screenshot, startServer } from "./helpers.js";

const LONG = `Long${"x".repeat(196)}`;
const EMAIL = `${"y".repeat(60)}@${"z".repeat(60)}.example.com`;

describe("the outbox in Chromium", () => {
  let server: Server;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const field = (name: string) =>
    page.getByLabel(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\*?$`));

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchChromium()]);
    context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function pageWidth(): Promise<[number, number]> {
    const [scrollWidth, innerWidth] = await page.evaluate(() => [
      (document.scrollingElement ?? document.documentElement).scrollWidth,
      window.innerWidth,
    ]);
    return [scrollWidth!, innerWidth!];
  }

  it("opens a sent message: headers, the sandboxed HTML, the text's link; no sideways scroll at 390 px", async () => {
    await page.goto("/setup");
    await field("Your name").fill("Ada Admin");
    await field("Email").fill("admin@example.com");
    await field("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create admin account" }).click();
    await page.waitForURL("/");

    await page.goto("/recipients/new");
    await field("Email").fill(EMAIL);
    await page.getByRole("button", { name: "Add recipient" }).click();
    await page.waitForURL(/\/recipients\/\d+$/);
    await page.goto("/messages/new");
    await field("Subject").fill(LONG);
    await field("Format").selectOption("html");
    // A script in the HTML must stay inert in the outbox's sandboxed frame.
    await field("Body").fill(
      '<p>Hello there, see https://example.com/welcome</p><p id="s">inert</p><script>document.getElementById("s").textContent = "ran";</script>',
    );
    await page.getByRole("button", { name: "Create message", exact: true }).click();
    await page.waitForURL(/\/messages\/\d+$/);
    await page.goto("/mailings/new");
    await field("Name").fill("Welcome");
    await field("First send").fill(
      `${new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 11)}09:00`,
    );
    await field("Message").selectOption({ label: LONG });
    await page.getByRole("radio", { name: /^All my recipients/ }).check();
    await page.getByRole("button", { name: "Create mailing", exact: true }).click();
    await page.waitForURL(/\/mailings\/\d+$/);
    await page.goto(`${new URL(page.url()).pathname}/send`);
    await page.getByRole("button", { name: "Send now" }).click();
    await page.waitForURL(/\/runs\/\d+$/);

    // No SMTP_URL: the server's sender loop puts the message in the local outbox within a second or so.
    const link = page.getByRole("link", { name: LONG });
    await expect
      .poll(async () => {
        await page.goto("/admin/outbox");
        return link.count();
      })
      .toBe(1);
    const messageUrl = await link.getAttribute("href");

    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 844 });
      await page.goto("/admin/outbox");
      await page.getByText(EMAIL).first().waitFor();
      await page.screenshot({ path: `/tmp/outbox-list-${width}.png`, fullPage: true });
      await screenshot(page, `outbox-list-${width}`);
      const [listWidth, inner] = await pageWidth();
      expect(listWidth, `list at ${width}`).toBeLessThanOrEqual(inner);
      const display = await page
        .locator("main tbody tr")
        .first()
        .evaluate((tr) => getComputedStyle(tr).display);
      expect(display).toBe(width === 390 ? "block" : "table-row");

      await page.goto(messageUrl!);
      await page.getByRole("heading", { name: LONG }).waitFor();
      await expect(page.locator("main .card dt", { hasText: /^From$/ }).isVisible()).resolves.toBe(true);
      await expect(page.locator("main dd", { hasText: EMAIL }).first().isVisible()).resolves.toBe(true);
      const frame = page.locator("main iframe");
      await expect(frame.isVisible()).resolves.toBe(true);
      await expect(frame.getAttribute("sandbox")).resolves.toBe("");
      await expect(
        page.frameLocator("main iframe").getByText("Hello there", { exact: false }).first().isVisible(),
      ).resolves.toBe(true);
      await expect(page.frameLocator("main iframe").locator("#s").textContent()).resolves.toBe("inert");
      await page.screenshot({ path: `/tmp/outbox-message-${width}.png`, fullPage: true });
      await frame.screenshot({ path: `/tmp/outbox-frame-${width}.png` });
      await screenshot(page, `outbox-message-${width}`);
      const [messageWidth] = await pageWidth();
      expect(messageWidth, `message at ${width}`).toBeLessThanOrEqual(inner);

      // The Text tab: its URL is a link that opens apart and passes nothing on.
      await page.getByRole("tab", { name: "Text" }).click();
      const textLink = page.locator("#outbox-text a", { hasText: "https://example.com/welcome" });
      await expect(textLink.isVisible()).resolves.toBe(true);
      await expect(textLink.getAttribute("rel")).resolves.toBe("noopener noreferrer nofollow");
      await page.getByRole("tab", { name: "Raw" }).click();
      await expect(page.getByTestId("outbox-raw").isVisible()).resolves.toBe(true);
      const [rawWidth] = await pageWidth();
      expect(rawWidth, `source at ${width}`).toBeLessThanOrEqual(inner);
      await page.screenshot({ path: `/tmp/outbox-raw-${width}.png`, fullPage: true });
    }
    expect(server.errors).toEqual([]);
  });
});
