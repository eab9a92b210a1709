/**
 * The layout preview in a real browser: a layout whose HTML tries to run script (an inline script, an
 * onerror handler, a script reaching for the page around it) shows in the preview, and none of it runs,
 * neither in the saved layout's preview nor in the live preview of what is typed. Chromium says so
 * itself: it logs that it blocked the script because the frame is sandboxed.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type Server, startServer } from "./helpers.js";

const PASSWORD = "correct horse battery";
const HOSTILE = `<html><head><title>untouched</title></head><body>
<script>document.title = "ran"; window.top.__layoutRan = true; window.top.document.title = "ran"; alert("script");</script>
<img src="x" onerror="window.top.__layoutRan = true; alert('onerror')">
<svg onload="window.top.__layoutRan = true"></svg>
<h2 id="frame-heading">Hostile frame</h2>
{{ content }}
</body></html>`;

let server: Server;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const blocked: string[] = [];

/** The preview frame's document, once it shows what it should. */
async function previewShows(text: string) {
  const frame = page.frameLocator('iframe[name="layout-preview"]');
  await frame.getByText(text).first().waitFor({ state: "visible" });
}

/** Nothing of the layout's script ran: no dialog, no flag or title set on the page or in the frame. */
async function nothingRan() {
  expect(dialogs).toEqual([]);
  expect(
    await page.evaluate(() => (window as unknown as { __layoutRan?: boolean }).__layoutRan),
  ).toBeUndefined();
  expect(await page.title()).not.toBe("ran");
  const frame = page.frames().find((f) => f.name() === "layout-preview");
  expect(frame).toBeDefined();
  expect(await frame!.title()).toBe("untouched");
}

describe("layout preview in Chromium", () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchChromium()]);
    const context = await browser.newContext({
      baseURL: server.baseUrl,
      viewport: { width: 1280, height: 800 },
    });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on("console", (msg) => {
      if (/Blocked script execution .* sandboxed/.test(msg.text())) blocked.push(msg.text());
    });
    await page.goto("/setup");
    await page.getByLabel(/^Your name/).fill("Ada Admin");
    await page.getByLabel(/^Email/).fill("admin@example.com");
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole("button", { name: "Create admin account" }).click();
    await page.waitForURL("/");
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    expect(server?.errors ?? []).toEqual([]);
  });

  it("shows a saved layout's HTML in the sandboxed preview without running its script", async () => {
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Layouts", exact: true })
      .click();
    await page.getByRole("link", { name: "New layout" }).click();
    await page.getByLabel(/^Name/).fill("Hostile <script>alert('name')</script>");
    await page.getByLabel(/^HTML/).fill(HOSTILE);
    await page.getByRole("button", { name: "Create layout" }).click();
    await page.waitForURL(/\/layouts\/\d+$/);
    await page.getByRole("heading", { level: 1, name: "Hostile <script>alert('name')</script>" }).waitFor();
    await previewShows("Hostile frame");
    await previewShows("Hello Ada,");
    await nothingRan();
    await expect.poll(() => blocked.length).toBeGreaterThan(0);
  });

  it("runs nothing in the live preview of what is typed either", async () => {
    const id = /\/layouts\/(\d+)$/.exec(page.url())![1];
    await page.goto(`/layouts/${id}/edit`);
    const before = blocked.length;
    await page.getByLabel(/^HTML/).fill(HOSTILE.replace("Hostile frame", "Typed frame"));
    // Not saved: the form posts what it holds into the frame a moment after typing stops.
    await previewShows("Typed frame");
    await nothingRan();
    await expect.poll(() => blocked.length).toBeGreaterThan(before);
  });
});
