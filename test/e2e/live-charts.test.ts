/**
 * Live pages and charts (issue 16): while a run sends through a slow SMTP sink, the rows on its page change
 * status without a reload; the run and reports pages draw their charts (uPlot canvases); the mailing and
 * run pages label their times with the zone. Screenshots at 1280 and 390 px.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestSmtpServer } from "../helpers/smtp.js";
import { launchChromium, PageWatcher, type Server, screenshot, startServer } from "./helpers.js";

describe("live run page and charts in Chromium", () => {
  let smtp: TestSmtpServer;
  let server: Server;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const watcher = new PageWatcher();

  const field = (name: string) =>
    page.getByLabel(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\*?$`));

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    // Each RCPT TO and DATA waits, and one connection sends: the run takes a few seconds.
    smtp.delayMs = 250;
    [server, browser] = await Promise.all([
      startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SEND_CONCURRENCY: "1" }),
      launchChromium(),
    ]);
    context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    watcher.watch(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await smtp?.close();
  });

  it("updates the rows while sending, then draws the run's and the reports' charts", async () => {
    await page.goto("/setup");
    await field("Your name").fill("Ada Admin");
    await field("Email").fill("admin@example.com");
    await field("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create admin account" }).click();
    await page.waitForURL("/");

    for (let i = 1; i <= 8; i += 1) {
      await page.goto("/recipients/new");
      await field("Email").fill(`r${i}@example.com`);
      await page.getByRole("button", { name: "Add recipient" }).click();
      await page.waitForURL(/\/recipients\/\d+$/);
    }
    await page.goto("/messages/new");
    await field("Subject").fill("Hello");
    await field("Body").fill("Hello there, see https://example.com/news");
    await page.getByRole("button", { name: "Create message", exact: true }).click();
    await page.waitForURL(/\/messages\/\d+$/);

    await page.goto("/mailings/new");
    const first = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 11);
    await field("Name").fill("Live news");
    await field("First send").fill(`${first}09:00`);
    // A one-off mailing: End is hidden (and ignored) while Repeats is Once.
    await field("Message").selectOption({ label: "Hello" });
    await page.getByRole("radio", { name: /^All my recipients/ }).check();
    await page.getByRole("button", { name: "Create mailing", exact: true }).click();
    await page.waitForURL(/\/mailings\/\d+$/);
    const mailingUrl = new URL(page.url()).pathname;

    await page.getByRole("link", { name: "Send now" }).click();
    await page.getByRole("button", { name: "Send now" }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    const runUrl = new URL(page.url()).pathname;
    // The engine adds the run's deliveries a chunk at a time; the page reloads once they are all in.
    await expect
      .poll(
        async () =>
          (await page.locator("[data-preparing]").count()) === 0 &&
          (await page.locator('[data-live="status"]').count()) === 8,
        { timeout: 15_000 },
      )
      .toBe(true);
    // The page as loaded: marked, so a reload would be seen.
    await page.evaluate(() => {
      (window as unknown as { loadedOnce: boolean }).loadedOnce = true;
    });
    const statuses = () =>
      page.$$eval('[data-live="status"]', (badges) => badges.map((b) => b.textContent ?? ""));
    expect((await statuses()).some((s) => s !== "sent")).toBe(true);
    // Some rows turn "sent" while others are still open, on the same page (no reload yet).
    await page.waitForFunction(() => {
      const marked = (window as unknown as { loadedOnce?: boolean }).loadedOnce === true;
      const texts = [...document.querySelectorAll('[data-live="status"]')].map((b) => b.textContent);
      return marked && texts.includes("sent") && texts.some((t) => t !== "sent");
    });
    const sentTab = await page.locator('[data-tab-count="sent"]').textContent();
    expect(Number(sentTab)).toBeGreaterThan(0);
    await screenshot(page, "live-run-sending-1280");

    // When the run is done the page reloads once, with its charts.
    await page.waitForFunction(
      () => (window as unknown as { loadedOnce?: boolean }).loadedOnce !== true,
      null,
      {
        timeout: 30_000,
      },
    );
    await page.locator(".chart canvas").first().waitFor();
    expect(await page.locator(".chart canvas").count()).toBe(2);
    // Away from the chart its legend names the series only (not uPlot's "--"); over it, the hovered figures.
    const legend = page.locator(".u-legend").first();
    expect(await legend.textContent()).not.toContain("--");
    const over = await page.locator(".u-over").first().boundingBox();
    await page.mouse.move(over!.x + over!.width / 2, over!.y + over!.height / 2);
    await expect.poll(() => legend.textContent()).toMatch(/Sent\s*\d/);
    expect(await statuses()).toEqual(Array(8).fill("sent"));
    await expect(page.locator("dd").filter({ hasText: /UTC$/ }).first().textContent()).resolves.toMatch(
      /UTC/,
    );

    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 844 });
      await page.goto(runUrl);
      await page.locator(".chart canvas").first().waitFor();
      await screenshot(page, `live-run-done-${width}`);
      await page.goto("/reports");
      await page.locator(".chart canvas").first().waitFor();
      await screenshot(page, `live-reports-${width}`);
      await page.goto(mailingUrl);
      expect(await page.locator("main").textContent()).toMatch(/\d{2}:\d{2} UTC/);
      await screenshot(page, `live-mailing-${width}`);
    }
    // The profile's zone picker: current names, and the search box narrows the grouped list.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto("/profile");
    await page.getByLabel("Search time zones").fill("kyiv");
    const shown = await page.$$eval("#f-time_zone option", (options) =>
      options.filter((o) => !(o as HTMLOptionElement).hidden).map((o) => o.textContent),
    );
    expect(shown).toContain("Europe/Kyiv");
    expect(shown).not.toContain("Europe/Berlin");
    expect(await page.locator('#f-time_zone option[value="Europe/Kiev"]').count()).toBe(0);
    await screenshot(page, "live-zone-picker-1280");
    expect(smtp.received).toHaveLength(8);
    expect(watcher.problems).toEqual([]);
    expect(server.errors).toEqual([]);
  });
});
