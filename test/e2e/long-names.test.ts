/**
 * Phones and long names (issue 16): a recipient, a message and a mailing whose names are 200 unbroken
 * characters; at 390 px no main page (home, mailings, a mailing, its run, recipients, a recipient, messages,
 * reports, outbox, users) scrolls sideways, lists become cards, and the mailings list still shows Status.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type Server, screenshot, startServer } from "./helpers.js";

const LONG = `Long${"x".repeat(196)}`;
const EMAIL = `${"y".repeat(60)}@${"z".repeat(60)}.example.com`;

describe("long names at phone width in Chromium", () => {
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

  /** Opens a page, waits for `text` when given, and checks the page is no wider than the window. */
  async function noSidewaysScroll(url: string, name: string, text?: string): Promise<void> {
    await page.goto(url);
    if (text) await page.getByText(text).first().waitFor();
    const [scrollWidth, innerWidth] = await page.evaluate(() => [
      (document.scrollingElement ?? document.documentElement).scrollWidth,
      window.innerWidth,
    ]);
    await screenshot(page, `long-${name}-${innerWidth}`);
    expect(scrollWidth, url).toBeLessThanOrEqual(innerWidth);
    // No icon is squeezed narrower than its glyph (the local-outbox notice's ⚠ ran into its text).
    const squeezed = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".bi")]
        .filter((i) => i.offsetParent !== null && i.getBoundingClientRect().width + 1 < i.scrollWidth)
        .map((i) => `${i.className} in ${i.parentElement?.className}`),
    );
    expect(squeezed, url).toEqual([]);
    // No one-word button breaks its word over two lines (the message preview's "Show" read "Sho / w").
    const broken = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".btn")]
        .filter((b) => b.offsetParent !== null && /^\S+$/.test(b.textContent?.trim() ?? ""))
        .filter((b) =>
          [...b.childNodes].some((node) => {
            if (node.nodeType !== Node.TEXT_NODE || !node.textContent?.trim()) return false;
            const range = document.createRange();
            range.selectNodeContents(node);
            return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
          }),
        )
        .map((b) => b.textContent?.trim()),
    );
    expect(broken, url).toEqual([]);
  }

  it("wraps a 200-character name on the lists and pages of recipients and mailings at 390 px", async () => {
    await page.goto("/setup");
    await field("Your name").fill("Ada Admin");
    await field("Email").fill("admin@example.com");
    await field("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create admin account" }).click();
    await page.waitForURL("/");

    await page.goto("/recipients/new");
    await field("Email").fill(EMAIL);
    await field("Full name").fill(LONG);
    await page.getByRole("button", { name: "Add recipient" }).click();
    await page.waitForURL(/\/recipients\/\d+$/);
    const recipientUrl = new URL(page.url()).pathname;

    await page.goto("/messages/new");
    await field("Subject").fill(LONG);
    await field("Body").fill("Hello there");
    await page.getByRole("button", { name: "Create message", exact: true }).click();
    await page.waitForURL(/\/messages\/\d+$/);
    const messageUrl = new URL(page.url()).pathname;

    await page.goto("/mailings/new");
    const first = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 11);
    await field("Name").fill(LONG);
    await field("First send").fill(`${first}09:00`);
    // A one-off asks for no End: the field is hidden while Repeats is Once.
    await expect(field("End").isVisible()).resolves.toBe(false);
    await field("Message").selectOption({ label: LONG });
    await page.getByRole("radio", { name: /^All my recipients/ }).check();
    await page.getByRole("button", { name: "Create mailing", exact: true }).click();
    await page.waitForURL(/\/mailings\/\d+$/);
    const mailingUrl = new URL(page.url()).pathname;

    await page.goto(`${mailingUrl}/send`);
    await page.getByRole("button", { name: "Send now" }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    const runUrl = new URL(page.url()).pathname;

    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 844 });
      await noSidewaysScroll("/", "home", LONG);
      await noSidewaysScroll("/recipients", "recipients", LONG);
      await noSidewaysScroll(recipientUrl, "recipient", LONG);
      await noSidewaysScroll("/messages", "messages", LONG);
      await noSidewaysScroll(messageUrl, "message", "Hello there");
      await noSidewaysScroll("/mailings", "mailings", LONG);
      await noSidewaysScroll(mailingUrl, "mailing", LONG);
      await noSidewaysScroll(runUrl, "run", EMAIL);
      await noSidewaysScroll("/reports", "reports");
      await noSidewaysScroll("/admin/outbox", "outbox");
      await noSidewaysScroll("/admin/users", "users");
      await noSidewaysScroll("/admin/audit", "audit");
    }
    // On the phone the lists are cards: the mailings list's rows are blocks that still show each status.
    await page.goto("/mailings");
    const display = await page
      .locator("main tbody tr")
      .first()
      .evaluate((tr) => getComputedStyle(tr).display);
    expect(display).toBe("block");
    // On the phone a mailing's runs are blocks whose cells read "Trigger: Sent from the web", with a colon.
    await page.goto(mailingUrl);
    const runLabel = await page
      .locator("main .table-stack td[data-label]")
      .first()
      .evaluate((td) => getComputedStyle(td, "::before").content);
    expect(runLabel).toBe('"Trigger: "');
    // On the phone the mailings list still shows each mailing's status.
    await page.goto("/mailings");
    await expect(page.locator("main tbody .badge").first().isVisible()).resolves.toBe(true);
  });
});
