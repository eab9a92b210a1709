/**
 * The walk-through once in Russian (issue 16): a browser whose language is Russian sets up the admin,
 * adds recipients, writes a message, creates a mailing and sends it through the local outbox, then visits
 * every main page at desktop and phone sizes. On each page no English word is left (apart from names and
 * codes), no translation key leaked, and at 390 px nothing scrolls sideways.
 *
 * Fields and buttons are found by their names in the HTML (name="email", the form's action), not by
 * their labels, so the walk reads the same in any language; what it checks is the text people see.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WEBHOOK_EVENT_TYPES } from "../../src/webhooks/webhooks.schemas.js";
import { ALLOWED, KEY } from "../helpers/russian.js";
import { launchChromium, PageWatcher, type Server, screenshot, startServer } from "./helpers.js";

const PASSWORD = "correct horse battery";
const ADMIN = { name: "Анна Админова", email: "admin@example.com" };
const RECIPIENTS = [
  { email: "ivan@example.com", full_name: "Иван Петров", comment: "Познакомились на ярмарке" },
  { email: "olga@example.org", full_name: "Ольга Смирнова", comment: "" },
];
const MESSAGE = { subject: "Весенние новости", body: "Здравствуйте!\n\nНаша весенняя программа готова." };
const MAILING = "Весенняя рассылка";
const LAYOUT = "Весенний макет";
/** A public address (no DNS, so the address check passes offline), told only of signups: nothing is sent in this walk. */
const WEBHOOK = { url: "https://93.184.216.34/hooks", description: "Магазин", event: "subscriber.confirmed" };

/** Words a Russian page may show in Latin letters: names, codes, and what Chromium says of itself. */
const ALSO_ALLOWED = [
  "HeadlessChrome",
  "Chrome",
  "Chromium",
  "Linux",
  "Mozilla",
  "AppleWebKit",
  "KHTML",
  "Gecko",
  "Safari",
  "Liquid",
  "HTML",
  "ID",
  "IP",
  "IMAP",
  "MIME",
  "VERP",
  "UTC",
  "CSP",
  "HMAC",
  "SHA",
  "Markdown",
  "Bearer",
  "Etc",
  "UTF-",
  // Examples that are codes: a field key (plan, signup_date), the test send's subject prefix [Test], SMTP verbs.
  "plan",
  "signup",
  "date",
  "Test",
  "EHLO",
  "STARTTLS",
  "RELAYS",
  "FROM",
  "POST-",
  "HTML-",
  // The built-in layout's name.
  "default",
  "http",
  "https",
  // A webhook event type (subscriber.confirmed), a code.
  "subscriber",
  "confirmed",
  "SPF",
];

let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const watcher = new PageWatcher();

const PHONE_OVERFLOW = `document.documentElement.scrollWidth <= 390 ? [] : [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > 390.5)
  .map((e) => e.tagName.toLowerCase() + (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\\s+/).join(".") : "") + " → " + Math.round(e.getBoundingClientRect().right) + "px")
  .slice(-10)`;

/** Latin words in what the page shows (its text, and the labels people read), apart from the allowed. */
async function englishOnPage(p: Page): Promise<string[]> {
  const text = await p.evaluate(() => {
    const labels = [...document.querySelectorAll("[aria-label],[placeholder],[title]")].map((e) =>
      ["aria-label", "placeholder", "title"].map((a) => e.getAttribute(a) ?? "").join(" "),
    );
    // Options of selects are zone and language names; code and pre blocks show what the user wrote.
    const clone = document.body.cloneNode(true) as HTMLElement;
    for (const e of clone.querySelectorAll("select, script, style, code, pre, textarea, iframe")) e.remove();
    const texts: string[] = [];
    const walker = document.createTreeWalker(clone, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) texts.push(n.nodeValue ?? "");
    return `${texts.join(" ")} ${labels.join(" ")} ${document.title}`;
  });
  const words =
    text
      .replace(/\S+@\S+/g, " ")
      .replace(/https?:\/\/\S+/g, " ")
      .match(/[A-Za-z][A-Za-z'-]+/g) ?? [];
  return [...new Set(words)].filter((w) => !ALLOWED.has(w) && !ALSO_ALLOWED.includes(w));
}

async function submit(action: string | RegExp): Promise<void> {
  const forms = page.locator("form[method=post]");
  const count = await forms.count();
  for (let i = 0; i < count; i++) {
    const form = forms.nth(i);
    const target = (await form.getAttribute("action")) ?? "";
    if (typeof action === "string" ? target === action : action.test(target)) {
      await form.locator("button[type=submit]").first().click();
      return;
    }
  }
  throw new Error(`no form posting to ${action} on ${page.url()}`);
}

async function fillByName(values: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(values))
    await page.locator(`[name="${name}"]`).first().fill(value);
}

/** A datetime-local value `days` from now at 09:00 (UTC, the admin's zone). */
function utcInput(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  d.setUTCHours(9, 0, 0, 0);
  return d.toISOString().slice(0, 16);
}

const visited: string[] = [];
/** English words found, by page: reported all at once, so one run shows everything left to translate. */
const left: Record<string, string[]> = {};

async function checkPage(url: string, name: string): Promise<void> {
  await page.goto(url);
  expect(await page.getAttribute("html", "lang"), url).toBe("ru");
  const english = await englishOnPage(page);
  if (english.length > 0) left[url] = english;
  const shown = (await page.evaluate(() => document.body.textContent ?? ""))
    .replace(/\S+@\S+/g, " ")
    .replace(/https?:\/\/\S+/g, " ");
  const keys = [...shown.matchAll(new RegExp(KEY.source, "g"))]
    .map((m) => m[0])
    .filter((k) => !/\.(com|org|net|ru|example|js|css|png|csv|json|txt)$/.test(k))
    // Liquid's variables in the help texts look like keys: {{ recipient.fields.key }}.
    .filter((k) => !/^(recipient|mailing|sender|unsubscribe)\./.test(k))
    // Webhook event types are codes too: run.finished, subscriber.confirmed.
    .filter((k) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(k));
  expect(keys, `a key leaked on ${url}`).toEqual([]);
  await screenshot(page, `ru-${name}`);
  visited.push(url);
}

describe("the walk-through in Russian (Accept-Language: ru)", () => {
  beforeAll(async () => {
    await Promise.all([
      startServer().then((started) => {
        server = started;
      }),
      launchChromium().then((launched) => {
        browser = launched;
      }),
    ]);
    context = await browser.newContext({
      baseURL: server.baseUrl,
      viewport: { width: 1280, height: 800 },
      locale: "ru-RU",
      extraHTTPHeaders: { "accept-language": "ru-RU,ru;q=0.9" },
    });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    watcher.watch(page);
  });

  let failed = false;
  beforeEach((ctx) => {
    if (failed) ctx.skip();
  });
  afterEach((ctx) => {
    const seen = [...watcher.problems.splice(0), ...(server?.errors.splice(0) ?? [])];
    if (ctx.task.result?.state === "fail") failed = true;
    expect(seen).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const ids: Record<string, string> = {};

  it("sets up the admin, adds recipients, writes a message and creates a mailing, all in Russian", async () => {
    await page.goto("/");
    await page.waitForURL("/setup");
    expect(await englishOnPage(page)).toEqual([]);
    await fillByName({ name: ADMIN.name, email: ADMIN.email, password: PASSWORD });
    await submit("/setup");
    await page.waitForURL("/");
    expect(await englishOnPage(page)).toEqual([]);

    for (const r of RECIPIENTS) {
      await page.goto("/recipients/new");
      await fillByName(r);
      await submit("/recipients/new");
      await page.waitForURL(/\/recipients\/\d+$/);
      expect(await englishOnPage(page), "recipient page").toEqual([]);
      ids.recipient = new URL(page.url()).pathname;
    }

    await page.goto("/messages/new");
    await fillByName(MESSAGE);
    await submit("/messages/new");
    await page.waitForURL(/\/messages\/\d+$/);
    ids.message = new URL(page.url()).pathname;

    // A layout of her own: the form starts as a copy of the built-in one.
    await page.goto("/layouts/new");
    await fillByName({ name: LAYOUT });
    await submit("/layouts/new");
    await page.waitForURL(/\/layouts\/\d+$/);
    ids.layout = new URL(page.url()).pathname;
    expect(await englishOnPage(page), "layout page").toEqual([]);

    await page.goto("/mailings/new");
    await fillByName({ name: MAILING, first_send_at: utcInput(2) });
    await page.locator('[name="message_id"]').selectOption({ label: MESSAGE.subject });
    await page.locator('[name="recipient_mode"][value="all"]').check();
    await submit("/mailings/new");
    await page.waitForURL(/\/mailings\/\d+$/);
    ids.mailing = new URL(page.url()).pathname;
    expect(await englishOnPage(page), "mailing page").toEqual([]);
  });

  it("sends the mailing now; the run page and the outbox speak Russian", async () => {
    await page.goto(`${ids.mailing}/send`);
    expect(await englishOnPage(page), "send page").toEqual([]);
    await submit(`${ids.mailing}/send`);
    await page.waitForURL(/\/runs\/\d+/);
    ids.run = new URL(page.url()).pathname;
    // The local outbox takes both copies within a second or two; the run page then says the run ended.
    await expect
      .poll(async () => {
        await page.goto(ids.run as string);
        return page.locator("main [data-run-badge] .badge.text-bg-success").count();
      })
      .toBeGreaterThan(0);
    await checkPage(ids.run as string, "run");
    expect(left).toEqual({});
  });

  it("every main page has no English left, at 1280 px and at 390 px", async () => {
    await page.goto("/webhooks/new");
    await fillByName({ url: WEBHOOK.url, description: WEBHOOK.description });
    await page.locator(`[name="events"][value="${WEBHOOK.event}"]`).check();
    await submit("/webhooks");
    await page.waitForLoadState();
    expect(await englishOnPage(page), "new endpoint with its secret").toEqual([]);
    await page.goto("/webhooks");
    ids.webhook = (await page.locator("main table a[href^='/webhooks/']").first().getAttribute("href")) ?? "";
    expect(ids.webhook).toMatch(/^\/webhooks\/\d+$/);

    const pages: [string, string][] = [
      ["/", "dashboard"],
      ["/recipients", "recipients"],
      [ids.recipient as string, "recipient"],
      ["/recipients/new", "recipient-new"],
      ["/recipients/import", "import"],
      ["/lists", "lists"],
      ["/lists/new", "list-new"],
      ["/segments", "segments"],
      ["/fields", "fields"],
      ["/messages", "messages"],
      [ids.message as string, "message"],
      ["/messages/new", "message-new"],
      ["/admin/senders", "senders"],
      ["/admin/senders/new", "sender-new"],
      ["/webhooks", "webhooks"],
      ["/webhooks/new", "webhook-new"],
      [ids.webhook as string, "webhook"],
      [`${ids.webhook}/edit`, "webhook-edit"],
      [`${ids.webhook}/delete`, "webhook-delete"],
      ["/layouts", "layouts"],
      [ids.layout as string, "layout"],
      ["/layouts/new", "layout-new"],
      [`${ids.layout}/edit`, "layout-edit"],
      [`${ids.layout}/delete`, "layout-delete"],
      ["/mailings", "mailings"],
      [ids.mailing as string, "mailing"],
      ["/mailings/new", "mailing-new"],
      ["/reports", "reports"],
      ["/suppressions", "suppressions"],
      ["/admin/users", "users"],
      ["/admin/relays", "relays"],
      ["/admin/audit", "audit"],
      ["/admin/blog", "blog-admin"],
      ["/admin/outbox", "outbox"],
      ["/profile", "profile"],
      ["/profile/security", "security"],
    ];
    for (const [url, name] of pages) await checkPage(url, name);
    expect(left).toEqual({});

    const phone = await browser.newContext({
      baseURL: server.baseUrl,
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      locale: "ru-RU",
      extraHTTPHeaders: { "accept-language": "ru-RU,ru;q=0.9" },
      storageState: await context.storageState(),
    });
    phone.setDefaultTimeout(10_000);
    page = await phone.newPage();
    watcher.watch(page);
    for (const [url, name] of [...pages, [ids.run as string, "run"] as [string, string]]) {
      await page.goto(url);
      expect(await page.evaluate<string[]>(PHONE_OVERFLOW), `too wide on ${url}`).toEqual([]);
      if (["dashboard", "mailings", "run", "recipients"].includes(name))
        await screenshot(page, `ru-phone-${name}`);
    }
    await phone.close();
  });

  it("saw no console error, failed request or server error", () => {
    expect(visited.length).toBeGreaterThan(20);
    expect(watcher.problems).toEqual([]);
    expect(server.errors).toEqual([]);
  });
});
