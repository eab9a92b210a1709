/**
 * Messages in a real browser: a personalised Markdown message in the shipped layout, previewed for a
 * recipient whose name is an XSS payload, at desktop and phone widths. The author's HTML (with a script and
 * an inline handler) is shown in a sandboxed frame where neither runs, and the recipient's name is text.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type Server, screenshot, startServer } from "./helpers.js";

const XSS_NAME = "<img src=x onerror=alert(1)> Mallory";
const PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

describe("message preview in Chromium", () => {
  let server: Server;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchChromium()]);
    context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("dialog", async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("renders the preview for a recipient in a sandbox where the author's script never runs", async () => {
    await page.goto("/setup");
    await page.getByLabel(/^Your name/).fill("Ada Admin");
    await page.getByLabel(/^Email/).fill("admin@example.com");
    await page.getByLabel(/^Password/).fill("correct horse battery");
    await page.getByRole("button", { name: "Create admin account" }).click();
    await page.waitForURL("/");

    await page.goto("/recipients/new");
    await page.getByLabel(/^Email/).fill("mallory@example.com");
    await page.getByLabel(/^Full name/).fill(XSS_NAME);
    await page.getByRole("button", { name: "Add recipient" }).click();
    await page.waitForURL(/\/recipients\/\d+$/);

    await page.goto("/messages/new");
    await page.getByLabel(/^Subject/).fill("Hi {{ recipient.first_name }}");
    await page.getByLabel(/^Format/).selectOption("markdown");
    await page.getByLabel(/^Layout/).selectOption({ label: "PostPilot default (shared)" });
    await page
      .getByLabel(/^Body/)
      .fill(
        `# Hello {{ recipient.full_name }}\n\n<script>parent.document.title = "pwned"; alert("script")</script>\n\n` +
          `<img alt="pixel" src="${PIXEL}" onload="parent.document.title = 'pwned'; alert('handler')">\n\nBye`,
      );
    await page.getByRole("button", { name: "Create message" }).click();
    await page.waitForURL(/\/messages\/\d+$/);

    await page.getByLabel("Render for").selectOption({ label: `${XSS_NAME} <mallory@example.com>` });
    await page.getByRole("button", { name: "Show", exact: true }).click();
    await page.waitForURL(/recipient_id=\d+/);
    await expect.poll(() => page.getByTestId("preview-subject").textContent()).toBe("Hi <img");
    const frame = page.frameLocator('iframe[title="HTML part"]');
    await frame.getByRole("heading", { name: `Hello ${XSS_NAME}` }).waitFor();
    await frame.getByRole("img", { name: "pixel" }).waitFor();
    // The frame is a sandbox: no scripts, no handlers, no access to the page; the name is text, not an image.
    expect(await frame.locator("img[src='x']").count()).toBe(0);
    expect(await page.title()).not.toBe("pwned");
    expect(await page.locator("iframe").getAttribute("sandbox")).toBe("");
    expect(await page.getByTestId("preview-text").textContent()).toContain(`Hello ${XSS_NAME}`);
    await screenshot(page, "message-preview-desktop");

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("link", { name: "Phone" }).click();
    await page.waitForURL(/width=phone/);
    await frame.getByRole("heading", { name: `Hello ${XSS_NAME}` }).waitFor();
    const box = await page.locator("iframe").boundingBox();
    expect(box?.width).toBeLessThanOrEqual(376);
    await screenshot(page, "message-preview-phone");

    expect(dialogs).toEqual([]);
    expect(await page.title()).not.toBe("pwned");
    // Whatever Chromium logged is its refusal to run the sandboxed frame's script, nothing else.
    expect(consoleErrors.filter((e) => !/Blocked script execution .* sandboxed/.test(e))).toEqual([]);
    expect(server.errors).toEqual([]);
  });
});
