/**
 * A list's signup form in Chromium: the owner turns the form on; a visitor (another browser context, no
 * session) is refused bad input with a clear message that keeps what they typed, then subscribes; the
 * confirmation email lands in the local outbox; its link's page confirms; the owner then sees the person in
 * the list. Screenshots at 1280 px and 390 px go to test-results/e2e-signup.
 */
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, PageWatcher, type Server, screenshotDir, startServer } from "./helpers.js";

const PASSWORD = "correct horse battery";
const dir = path.join(path.dirname(screenshotDir), "e2e-signup");
let server: Server;
let browser: Browser;
let owner: BrowserContext;
let visitor: BrowserContext;
const watcher = new PageWatcher();

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true, animations: "disabled" });
}

describe("signup with double opt-in in Chromium", () => {
  beforeAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await Promise.all([
      startServer().then((s) => {
        server = s;
      }),
      launchChromium().then((b) => {
        browser = b;
      }),
    ]);
    owner = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 } });
    visitor = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 390, height: 844 } });
    owner.setDefaultTimeout(10_000);
    visitor.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("form → confirmation email in the outbox → link → confirmed; bad input refused, keeping what was typed", async () => {
    const page = await owner.newPage();
    watcher.watch(page);
    await page.goto("/setup");
    await page.getByLabel(/^Your name/).fill("Ada Admin");
    await page.getByLabel(/^Email/).fill("admin@example.com");
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole("button", { name: "Create admin account" }).click();
    await page.waitForURL("/");

    await page.goto("/fields");
    await page.getByLabel(/^Label/).fill("Company");
    await page.getByLabel(/^Key/).fill("company");
    await page.getByRole("button", { name: "Add field" }).click();
    await page.getByRole("alert").filter({ hasText: "Field “Company” added." }).waitFor();

    await page.goto("/lists/new");
    await page.getByLabel(/^Name/).fill("Newsletter");
    await page.getByLabel(/^Description/).fill("News from us, once a month.");
    await page.getByLabel("People can subscribe themselves").check();
    await page.getByLabel("Ask for their name").check();
    await page.getByLabel("Company", { exact: true }).check();
    await page.getByRole("button", { name: "Create list" }).click();
    await page.getByRole("alert").filter({ hasText: "List “Newsletter” created." }).waitFor();
    await shot(page, "01-list-1280");
    const formUrl = (await page.locator('a[href^="/subscribe/"]').getAttribute("href"))!;

    const v = await visitor.newPage();
    watcher.watch(v);
    await v.goto(formUrl);
    await v.getByRole("heading", { name: "Subscribe to Newsletter" }).waitFor();
    await shot(v, "02-form-390");
    await v.getByLabel(/^Email/).fill("not an email");
    await v.getByLabel("Name", { exact: true }).fill("Vera Visitor");
    await v.getByLabel("Company", { exact: true }).fill("Acme");
    watcher.expectStatus(`422 POST ${formUrl}`);
    await v.getByRole("button", { name: "Subscribe" }).click();
    await v.getByText("Enter a valid email address, like name@example.com.").waitFor();
    expect(await v.getByLabel(/^Email/).inputValue()).toBe("not an email");
    expect(await v.getByLabel("Name", { exact: true }).inputValue()).toBe("Vera Visitor");
    expect(await v.getByLabel("Company", { exact: true }).inputValue()).toBe("Acme");
    await shot(v, "03-form-error-390");

    await v.getByLabel(/^Email/).fill("vera@example.com");
    await v.getByRole("button", { name: "Subscribe" }).click();
    await v.getByRole("heading", { name: "Check your inbox" }).waitFor();
    await shot(v, "04-check-inbox-390");

    // The sender loop puts the confirmation in the local outbox (no SMTP_URL) within a second or so.
    const mail = page.getByRole("link", { name: "Confirm your subscription to Newsletter" });
    await expect
      .poll(async () => {
        await page.goto("/admin/outbox");
        return mail.count();
      })
      .toBe(1);
    await mail.click();
    const raw = (await page.locator("pre").textContent()) ?? "";
    expect(raw).toContain("To: vera@example.com");
    const link = /https?:\/\/\S+\/confirm\?token=[\w-]+/.exec(raw)?.[0];
    expect(link, raw).toBeDefined();

    await v.goto(link!);
    await v.getByRole("button", { name: "Confirm my subscription" }).click();
    await v.getByRole("heading", { name: "You are subscribed" }).waitFor();
    await shot(v, "05-confirmed-390");

    await page.goto("/lists");
    await page.getByRole("link", { name: "Newsletter", exact: true }).first().click();
    await page.getByRole("main").getByRole("link", { name: "Recipients" }).click();
    await page.getByRole("heading", { name: "Recipients in Newsletter" }).waitFor();
    await page.getByRole("link", { name: "vera@example.com", exact: true }).waitFor();
    await shot(page, "06-recipients-in-list-1280");
    await page.getByRole("link", { name: "vera@example.com", exact: true }).click();
    await page.getByText("Acme").waitFor();
    expect(watcher.problems).toEqual([]);
    expect(server.errors).toEqual([]);
  });
});
