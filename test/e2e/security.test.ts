/**
 * Security walk-through in Chromium: the open-redirect payloads of test/security fed to /login?next= in a
 * real browser (which drops tabs and line breaks and reads "\" as "/"), signed in and while logging in;
 * then turning on two-factor sign-in and logging in with a TOTP code. Screenshots at 1280 and 390 px
 * under test-results/e2e-security/.
 */
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { generate } from "otplib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPEN_REDIRECT_PAYLOADS } from "../security/open-redirect.payloads.js";
import { launchChromium, PageWatcher, type Server, screenshotDir, startServer } from "./helpers.js";

const PASSWORD = "correct horse battery";
const ADMIN = { name: "Ada Admin", email: "admin@example.com" };
const shots = path.join(path.dirname(screenshotDir), "e2e-security");

let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const watcher = new PageWatcher();

const button = (name: string) => page.getByRole("button", { name, exact: true });
const field = (name: string) => page.getByLabel(new RegExp(`^${name}\\s*\\*?$`));

async function both(name: string): Promise<void> {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({
      path: path.join(shots, `${name}-${width}.png`),
      fullPage: true,
      animations: "disabled",
    });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** The code an authenticator app shows `stepsAhead` 30-second steps from now. */
const code = (secret: string, stepsAhead = 0) =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + stepsAhead * 30 });

describe("security walk-through in Chromium", () => {
  beforeAll(async () => {
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    [server, browser] = await Promise.all([startServer(), launchChromium()]);
    context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    watcher.watch(page);
    await page.goto("/setup");
    await field("Your name").fill(ADMIN.name);
    await field("Email").fill(ADMIN.email);
    await field("Password").fill(PASSWORD);
    await button("Create admin account").click();
    await page.waitForURL("/");
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("never leaves the site for any known open-redirect payload, signed in or logging in", async () => {
    const origin = new URL(server.baseUrl).origin;
    for (const payload of OPEN_REDIRECT_PAYLOADS) {
      await page.goto(`/login?next=${encodeURIComponent(payload)}`);
      expect(new URL(page.url()).origin, JSON.stringify(payload)).toBe(origin);
    }
    // Raw, as an attacker's link would carry them (the browser sends them as typed).
    for (const raw of ["/%09/evil.example/x", "/%0a", "/%00", "/%E2%80%A8", "/\\evil.example"]) {
      await page.goto(`/login?next=${raw}`);
      expect(new URL(page.url()).origin, raw).toBe(origin);
    }
    // A payload that is a path on this site (/%09/evil.example) lands on our own 404 page: fine.
    const seen = watcher.problems.splice(0);
    expect(seen.filter((p) => !/^unexpected response: 404 GET \//.test(p))).toEqual([]);
    await button("Log out").click();
    await page.waitForURL("/login");
    await page.goto("/login?next=/%09/evil.example/x");
    await field("Email").fill(ADMIN.email);
    await field("Password").fill(PASSWORD);
    await button("Log in").click();
    await page.waitForURL((url) => url.pathname !== "/login");
    expect(new URL(page.url()).origin).toBe(origin);
    watcher.problems.splice(0); // its own 404 again
    expect(server.errors).toEqual([]);
  });

  it("turns on two-factor sign-in and logs in with a TOTP code", async () => {
    await page.goto("/profile");
    await page.getByRole("link", { name: "Two-factor sign-in and sessions" }).click();
    await page.waitForURL("/profile/security");
    await button("Set up two-factor sign-in").click();
    const secret = ((await page.locator("#totp-secret").textContent()) ?? "").trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await both("security-setup");
    await field("Code").fill(await code(secret));
    await button("Turn on").click();
    await page.locator("#recovery-codes li").first().waitFor();
    expect(await page.locator("#recovery-codes li").count()).toBe(10);
    await both("security-recovery-codes");

    await button("Log out").click();
    await page.waitForURL("/login");
    await field("Email").fill(ADMIN.email);
    await field("Password").fill(PASSWORD);
    await button("Log in").click();
    await page.waitForURL(/\/login\/code/);
    await both("security-code-step");
    watcher.expectStatus("422 POST /login/code");
    await field("Code").fill("000000");
    await button("Log in").click();
    await page.getByText("That code is not right, or was used already.").waitFor();
    // The next step's code: the one used to turn it on may not be used again.
    await field("Code").fill(await code(secret, 1));
    await button("Log in").click();
    await page.waitForURL("/");
    await page.getByRole("alert").filter({ hasText: "Welcome back, Ada Admin." }).waitFor();
    await page.goto("/profile/security");
    await page.getByText("This session").waitFor();
    await both("security-signed-in");
  });

  it("shows the admin the login throttle the wrong code left, and clears it", async () => {
    await page.goto("/admin/users");
    await page.getByRole("link", { name: "Login throttles" }).click();
    await page.waitForURL("/admin/throttles");
    await page.getByRole("cell", { name: ADMIN.email }).first().waitFor();
    await both("security-throttles");
    await button("Clear").click();
    await page
      .getByRole("alert")
      .filter({ hasText: `Login throttles of ${ADMIN.email} cleared.` })
      .waitFor();
    await page.getByText("No failed logins").waitFor();
  });

  it("saw no console error, failed request or server error", () => {
    expect(watcher.problems).toEqual([]);
    expect(watcher.missing).toEqual([]);
    expect(server.errors).toEqual([]);
  });
});
