/**
 * The foundation walk-through in a real browser: first-run setup, a second user who confirms the address
 * through the link in the admin's local outbox, recipients (with a rejected duplicate), a message, a
 * mailing, the dashboard's figures, and a phone-sized layout.
 *
 * It spawns the built CLI (`node bin/postpilot.js serve`) rather than calling buildApp in-process: that is
 * what users run, so it also covers config parsing, migrate-on-start, the generated session secret and the
 * static asset paths as resolved from dist/. Run `npm run build` first (the helper refuses a stale dist/).
 *
 * Fields are found by their accessible names, so a field without a visible label fails the walk. There are
 * no sleeps: each step waits for what the next page shows (a URL, a flash message, a heading).
 */
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  launchChromium,
  PageWatcher,
  resetScreenshots,
  type Server,
  screenshot,
  startServer,
} from "./helpers.js";

const PASSWORD = "correct horse battery";
const ADMIN = { name: "Ada Admin", email: "admin@example.com" };
const USER = { name: "Uma User", email: "uma@example.com" };
const MANAGER = { name: "Max Manager", email: "max@example.com" };
const RECIPIENTS = [
  { email: "alice@example.com", name: "Alice Archer", comment: "Met at the fair" },
  { email: "bob@example.com", name: "Bob Baker", comment: "" },
  { email: "carol@example.org", name: "Carol Cooper", comment: "Prefers plain text" },
];
const MESSAGE = { subject: "Spring news", body: "Hello!\n\nOur spring programme is out." };
const MAILING = "Spring newsletter";

let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const watcher = new PageWatcher();

/**
 * Page script: when the page is wider than a 375 px phone (it could be panned sideways), the elements
 * that reach past 375 px, to say what to fix; else nothing.
 */
const OVERFLOWING = `document.documentElement.scrollWidth <= 375 ? [] : [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > 375.5)
  .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\\s+/).join(".") : "") +
    " → " + Math.round(e.getBoundingClientRect().right) + "px")
  .slice(-10)`;

/** A datetime-local value (UTC, the new user's time zone) `days` from now at 09:00. */
function utcInput(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  d.setUTCHours(9, 0, 0, 0);
  return d.toISOString().slice(0, 16);
}

/**
 * A form field by its label. getByLabel reads the label's whole text, including the required-field "*"
 * that is aria-hidden (so screen readers hear just "Email"), hence the optional "*".
 */
const field = (name: string) =>
  page.getByLabel(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\*?$`));
const button = (name: string) => page.getByRole("button", { name, exact: true });
const heading = (name: string) => page.getByRole("heading", { level: 1, name, exact: true });
const flash = (text: string) => page.getByRole("alert").filter({ hasText: text });

/** Auto-waits until the element shows (the page after a click has loaded), or fails with a timeout. */
const shows = (locator: Locator) => locator.waitFor({ state: "visible" });
/** The element's text, retried until the assertion after it holds (or times out). */
const text = (locator: Locator) => expect.poll(async () => (await locator.textContent())?.trim());

async function fill(values: Record<string, string>): Promise<void> {
  for (const [label, value] of Object.entries(values)) await field(label).fill(value);
}

async function navTo(name: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
  await shows(heading(name));
}

describe("walk-through in Chromium", () => {
  beforeAll(async () => {
    resetScreenshots();
    // Assigned one by one, so that afterAll stops whichever started when the other failed.
    await Promise.all([
      startServer().then((started) => {
        server = started;
      }),
      launchChromium().then((launched) => {
        browser = launched;
      }),
    ]);
    context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    watcher.watch(page);
  });

  // The steps build on each other: after the first failure the rest would only repeat it.
  let failed = false;
  beforeEach((ctx) => {
    if (failed) ctx.skip();
  });

  // Each step answers for what went wrong during it; the last test catches anything that arrived late.
  afterEach((ctx) => {
    const seen = [...watcher.problems.splice(0), ...(server?.errors.splice(0) ?? [])];
    if (ctx.task.result?.state === "fail") failed = true;
    expect(seen).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("sets up the admin on first visit, then logs out", async () => {
    await page.goto("/");
    await page.waitForURL("/setup");
    await shows(heading("Set up PostPilot"));
    expect(await page.title()).toBe("Set up PostPilot · PostPilot");
    await screenshot(page, "setup");

    await fill({ "Your name": ADMIN.name, Email: ADMIN.email, Password: PASSWORD });
    await button("Create admin account").click();
    await page.waitForURL("/");
    await shows(flash("Welcome! Your admin account is ready."));
    await shows(page.getByRole("link", { name: "Users", exact: true }));
    await screenshot(page, "admin-dashboard");

    await button("Log out").click();
    await page.waitForURL("/login");
    await shows(flash("You are logged out."));
    await screenshot(page, "logged-out");
  });

  it("registers a second user, who is not logged in until the emailed link is opened", async () => {
    await page.getByRole("link", { name: "Create an account" }).click();
    await shows(heading("Create an account"));
    await fill({ "Your name": USER.name, Email: USER.email, Password: PASSWORD });
    await screenshot(page, "register");
    await button("Create account").click();
    await shows(heading("Check your email"));
    await screenshot(page, "register-check-email");

    // An unconfirmed account cannot log in yet; the login page says why and offers a new link.
    await page.goto("/login");
    await fill({ Email: USER.email, Password: PASSWORD });
    watcher.expectStatus("422 POST /login");
    await button("Log in").click();
    await shows(page.getByText("Your email address is not confirmed yet."));
    await shows(button("Send the confirmation link again"));
    await screenshot(page, "login-unconfirmed");
  });

  it("confirms the address through the link in the admin's outbox, which logs the user in", async () => {
    await page.goto("/login");
    await fill({ Email: ADMIN.email, Password: PASSWORD });
    await button("Log in").click();
    await page.waitForURL("/");
    // No SMTP_URL: the server's sender loop puts the email in the local outbox within a second or so.
    const confirmation = page.getByRole("link", { name: "Confirm your email address for PostPilot" });
    await expect
      .poll(async () => {
        await page.goto("/admin/outbox");
        return confirmation.count();
      })
      .toBe(1);
    await screenshot(page, "outbox");
    await confirmation.click();
    await shows(heading("Confirm your email address for PostPilot"));
    const raw = (await page.locator("pre").textContent()) ?? "";
    expect(raw).toContain(`To: ${USER.email}`);
    const link = /https?:\/\/\S+\/confirm\?token=[\w-]+/.exec(raw)?.[0];
    expect(link, raw).toBeDefined();
    await screenshot(page, "outbox-confirmation");

    await page.goto(link!);
    await page.waitForURL("/");
    await shows(flash("Your email address is confirmed."));
    await shows(page.getByRole("link", { name: USER.name }));
    expect(await page.getByRole("link", { name: "Users", exact: true }).count()).toBe(0);
    await screenshot(page, "user-dashboard-empty");
  });

  it("adds recipients and rejects a duplicate email in another case", async () => {
    await navTo("Recipients");
    await shows(page.getByText("No recipients yet"));
    await screenshot(page, "recipients-empty");

    const ids: Record<string, string> = {};
    for (const r of RECIPIENTS) {
      await page.getByRole("link", { name: "New recipient" }).click();
      await shows(heading("New recipient"));
      await fill({ Email: r.email, "Full name": r.name, Comment: r.comment });
      await button("Add recipient").click();
      await page.waitForURL(/\/recipients\/\d+$/);
      await shows(flash(`Recipient ${r.email} added.`));
      ids[r.email] = new URL(page.url()).pathname.split("/").pop()!;
      if (r === RECIPIENTS[0]) await screenshot(page, "recipient-added");
      await page.getByRole("link", { name: "All recipients" }).click();
      await shows(heading("Recipients"));
    }

    await page.getByRole("link", { name: "New recipient" }).click();
    const typed = {
      Email: "BOB@Example.COM",
      "Full name": "Robert Again",
      Comment: "typed before the error",
    };
    await fill(typed);
    watcher.expectStatus("409 POST /recipients/new");
    await button("Add recipient").click();
    await shows(page.getByText("You already have a recipient with this email."));
    const email = field("Email");
    expect(await email.getAttribute("aria-invalid")).toBe("true");
    await text(page.locator("#f-email-error")).toContain("You already have a recipient with this email.");
    expect(await email.getAttribute("aria-describedby")).toBe("f-email-error");
    for (const [label, value] of Object.entries(typed)) expect(await field(label).inputValue()).toBe(value);
    const existing = page.getByRole("link", { name: "Open bob@example.com" });
    expect(await existing.getAttribute("href")).toBe(`/recipients/${ids["bob@example.com"]}`);
    await screenshot(page, "recipient-duplicate");

    await existing.click();
    await shows(heading("Bob Baker"));
    await navTo("Recipients");
    expect(await page.locator("main table tbody tr").count()).toBe(RECIPIENTS.length);
    await screenshot(page, "recipients-list");
  });

  it("writes a message", async () => {
    await navTo("Messages");
    await page.getByRole("link", { name: "New message" }).click();
    await shows(heading("New message"));
    await fill({ Subject: MESSAGE.subject, Body: MESSAGE.body });
    await button("Create message").click();
    await page.waitForURL(/\/messages\/\d+$/);
    await shows(flash("Message created."));
    await shows(heading(MESSAGE.subject));
    await screenshot(page, "message");
  });

  it("creates a mailing to all recipients, first sent in the future", async () => {
    await navTo("Mailings");
    await shows(page.getByText("No mailings yet"));
    await page.getByRole("link", { name: "New mailing" }).click();
    await shows(heading("New mailing"));
    // A one-off asks for no End (hidden while Repeats is Once).
    await fill({ Name: MAILING, "First send": utcInput(2) });
    await field("Message").selectOption({ label: MESSAGE.subject });
    await page.getByRole("radio", { name: `All my recipients (${RECIPIENTS.length})` }).check();
    await screenshot(page, "mailing-form");
    await button("Create mailing").click();
    await page.waitForURL(/\/mailings\/\d+$/);
    await shows(flash(`Mailing “${MAILING}” created.`));
    await shows(heading(MAILING));
    const main = page.getByRole("main");
    await shows(main.locator(".badge", { hasText: "Created" }));
    // "All my recipients" is live: the mailing page says how many it has now.
    const audience = `about ${RECIPIENTS.length} now`;
    await text(main.getByRole("link", { name: audience, exact: true })).toBe(audience);
    await shows(main.getByRole("link", { name: MESSAGE.subject }));
    await screenshot(page, "mailing");
  });

  it("shows the counts on the dashboard", async () => {
    await navTo("Dashboard");
    await text(page.getByTestId("stat-mailings")).toBe("1");
    await text(page.getByTestId("stat-active")).toBe("0");
    await text(page.getByTestId("stat-recipients")).toBe(String(RECIPIENTS.length));
    await shows(page.getByRole("link", { name: new RegExp(MAILING) }));
    await screenshot(page, "dashboard");
  });

  it("fits a phone screen, with a working navbar toggler", async () => {
    const phone = await browser.newContext({
      baseURL: server.baseUrl,
      viewport: { width: 375, height: 667 },
      isMobile: true,
      hasTouch: true,
      storageState: await context.storageState(),
    });
    phone.setDefaultTimeout(10_000);
    page = await phone.newPage();
    watcher.watch(page);
    const widthOk = async () =>
      expect(await page.evaluate<string[]>(OVERFLOWING), `too wide on ${page.url()}`).toEqual([]);

    await page.goto("/");
    await shows(heading("Dashboard"));
    const toggler = page.getByRole("button", { name: "Toggle navigation" });
    await shows(toggler);
    const recipientsLink = page.getByRole("navigation", { name: "Main" }).getByRole("link", {
      name: "Recipients",
    });
    expect(await recipientsLink.isVisible()).toBe(false);
    await screenshot(page, "phone-dashboard");
    await widthOk();

    await toggler.click();
    await shows(recipientsLink);
    await screenshot(page, "phone-menu");

    await page.goto("/recipients");
    await shows(heading("Recipients"));
    await screenshot(page, "phone-recipients");
    await widthOk();

    await page.goto("/mailings/new");
    await shows(heading("New mailing"));
    await screenshot(page, "phone-mailing-form");
    await widthOk();
    await phone.close();
  });

  it("lets a manager block the user, whose next page view is the login page", async () => {
    const userPage = await context.newPage();
    watcher.watch(userPage);
    await userPage.goto("/mailings");
    await userPage.getByRole("heading", { level: 1, name: "Mailings", exact: true }).waitFor();

    const staff = await browser.newContext({
      baseURL: server.baseUrl,
      viewport: { width: 1280, height: 800 },
    });
    staff.setDefaultTimeout(10_000);
    page = await staff.newPage();
    watcher.watch(page);
    // The admin creates a manager…
    await page.goto("/login");
    await fill({ Email: ADMIN.email, Password: PASSWORD });
    await button("Log in").click();
    await page.waitForURL("/");
    await page.goto("/admin/users/new");
    await fill({ Email: MANAGER.email, Name: MANAGER.name, Password: PASSWORD });
    await field("Role").selectOption("manager");
    await button("Create user").click();
    await shows(flash(`User ${MANAGER.email} created.`));
    await button("Log out").click();
    await page.waitForURL("/login");

    // …who blocks the user.
    await fill({ Email: MANAGER.email, Password: PASSWORD });
    await button("Log in").click();
    await page.waitForURL("/");
    await navTo("Users");
    await page.getByRole("link", { name: USER.email, exact: true }).click();
    await shows(page.getByRole("heading", { level: 1, name: USER.name, exact: true }));
    await button("Block").click();
    await shows(flash(`${USER.email} is blocked and logged out everywhere.`));
    await screenshot(page, "manager-blocked-user");

    // The user's very next page view is the login page.
    await userPage.goto("/mailings");
    await userPage.waitForURL(/\/login/);
    await userPage.getByRole("heading", { level: 1, name: "Log in", exact: true }).waitFor();
    await screenshot(userPage, "blocked-user-next-page");
    await staff.close();
  });

  it("saw no console error, failed request or server error", () => {
    expect(watcher.problems).toEqual([]);
    expect(watcher.missing).toEqual([]);
    expect(server.errors).toEqual([]);
  });
});
