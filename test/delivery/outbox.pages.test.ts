/** The outbox's message page: decoded headers, the sandboxed HTML, clickable text links, source, attachments. */
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { OutboxMailer } from "../../src/delivery/outbox.mailer.js";
import { OUTBOX_HTML_CSP } from "../../src/delivery/outbox.pages.js";
import { build, type Client, idFromLocation, registerUser, setupAdmin } from "../helpers/web.js";
import { SAMPLE } from "./outbox.fixtures.js";
import { fastConfig, finishedRun, makeWorker } from "./support.js";

async function store(database: Database, raw: string, subject = "Café news"): Promise<number> {
  const row = await database.db
    .insertInto("outbox_messages")
    .values({
      delivery_id: null,
      from_address: "ann@example.com",
      to_address: "bob@example.com",
      subject,
      raw,
      created_at: new Date().toISOString(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

async function sentMailing(admin: Client, database: Database) {
  await admin.post("/recipients/new", { email: "ann@example.com" }, { from: "/recipients/new" });
  const message = idFromLocation(
    await admin.post(
      "/messages/new",
      { subject: "Hi", body: "Visit https://example.com/x" },
      { from: "/messages/new" },
    ),
  );
  const mailing = idFromLocation(
    await admin.post(
      "/mailings/new",
      {
        name: "Weekly <news>",
        message_id: String(message),
        first_send_at: "2099-01-01T09:00",
        end_at: "2099-02-01T09:00",
        periodicity: "once",
        time_zone: "UTC",
        recipient_mode: "all",
      },
      { from: "/mailings/new" },
    ),
  );
  const run = idFromLocation(
    await admin.post(`/mailings/${mailing}/send`, {}, { from: `/mailings/${mailing}/send` }),
  );
  const worker = makeWorker(database, new OutboxMailer(database.db, () => new Date()), fastConfig());
  worker.start();
  try {
    await finishedRun(database, run);
  } finally {
    await worker.stop();
  }
  return { mailing, run };
}

describe("outbox list", () => {
  it("pages newest first by cursor, never by number, with N matching, and searches", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const ids: number[] = [];
    for (let i = 1; i <= 30; i++) ids.push(await store(database, SAMPLE, `Issue ${i}`));
    const subjects = (html: string) => [...html.matchAll(/Issue (\d+)/g)].map((m) => Number(m[1]));
    const first = await admin.get("/admin/outbox");
    expect(subjects(first.body)[0]).toBe(30);
    expect(new Set(subjects(first.body)).size).toBe(25);
    expect(first.body).toContain("30 matching");
    const next = /href="([^"]*)" aria-label="Next page"/.exec(first.body)?.[1]?.replaceAll("&amp;", "&");
    expect(next).toMatch(/^\/admin\/outbox\?after=/);
    const second = await admin.get(next!);
    expect([...new Set(subjects(second.body))]).toEqual([5, 4, 3, 2, 1]);
    expect(second.body).toMatch(/href="\/admin\/outbox\?before=[^"]+" aria-label="Previous page"/);
    // A search keeps to its matches, counted.
    const search = await admin.get("/admin/outbox?q=issue%202");
    expect(new Set(subjects(search.body))).toEqual(new Set([2, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]));
    expect(search.body).not.toContain('aria-label="Next page"');
    expect(ids).toHaveLength(30);
  });
});

describe("outbox message page", () => {
  it("shows decoded headers with the Date in the viewer's zone, and every view of the message", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    await database.db.updateTable("users").set({ time_zone: "Europe/Berlin" }).execute();
    const id = await store(database, SAMPLE);
    const page = await admin.get(`/admin/outbox/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1 class="h3 mb-0">Café news</h1>');
    expect(page.body).toContain("Анна &lt;ann@example.com>");
    expect(page.body).toContain("Bob &lt;bob@example.com>, carl@example.com");
    expect(page.body).toContain("Dan É &lt;dan@example.com>");
    expect(page.body).toContain("replies@example.com");
    expect(page.body).toContain("&lt;https://x.example/u>");
    // 13:05:09 UTC is 14:05:09 in Berlin in November.
    expect(page.body).toContain("24 Nov 2026, 14:05:09 (Europe/Berlin)");
    // Every header, decoded.
    expect(page.body).toMatch(/X-Note<\/dt><dd[^>]*>привет</);
    // The HTML only in a sandboxed frame, never inline.
    expect(page.body).toContain(
      `<iframe title="HTML part of the message" class="preview-frame border rounded" sandbox src="/admin/outbox/${id}/html">`,
    );
    expect(page.body).not.toContain("<script>alert(1)</script>");
    expect(page.body).not.toContain("<p onclick");
    // The text: its https link clickable and safe, javascript: plain text, tags escaped.
    expect(page.body).toContain(
      '<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">https://example.com/a?b=1&amp;c=2</a>',
    );
    expect(page.body).not.toMatch(/href="javascript:/i);
    expect(page.body).toContain("Not javascript:alert(1) nor &lt;b>bold&lt;/b>");
    // The source, escaped, and the attachment with its size and download link.
    expect(page.body).toContain("&lt;p onclick=&quot;x()&quot;>Hi&lt;script>alert(1)&lt;/script>&lt;/p>");
    // One <pre> on the page, the source (the e2e walk-throughs read it as the page's "pre").
    expect(page.body.match(/<pre\b/g)).toHaveLength(1);
    expect(page.body).toContain("Attachments (1)");
    expect(page.body).toContain("отчёт.pdf");
    expect(page.body).toContain("14 B");
    expect(page.body).toContain(`href="/admin/outbox/${id}/attachments/0"`);
  });

  it("serves the HTML part sandboxed with a strict CSP, framed only by PostPilot", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const id = await store(database, SAMPLE);
    const html = await admin.get(`/admin/outbox/${id}/html`);
    expect(html.statusCode).toBe(200);
    expect(html.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(html.headers["content-security-policy"]).toBe(OUTBOX_HTML_CSP);
    expect(OUTBOX_HTML_CSP).toMatch(/^sandbox; default-src 'none';/);
    expect(OUTBOX_HTML_CSP).not.toContain("allow-");
    expect(OUTBOX_HTML_CSP).not.toContain("script-src");
    expect(html.headers["x-frame-options"]).toBe("SAMEORIGIN");
    expect(html.body).toContain("<script>alert(1)</script>"); // inert: the CSP's sandbox blocks scripts
    // A message without an HTML part has none to serve.
    const plain = await store(database, "From: a@example.com\r\nSubject: Hi\r\n\r\nJust text\r\n", "Hi");
    const none = await admin.get(`/admin/outbox/${plain}/html`);
    expect(none.statusCode).toBe(404);
    expect(none.headers["content-security-policy"]).toBe(OUTBOX_HTML_CSP);
    const page = await admin.get(`/admin/outbox/${plain}`);
    expect(page.body).not.toContain("<iframe");
    expect(page.body).toContain("Just text");
  });

  it("downloads an attachment as an attachment with a safe name; bad indexes are 404, never 500", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const id = await store(database, SAMPLE);
    const file = await admin.get(`/admin/outbox/${id}/attachments/0`);
    expect(file.statusCode).toBe(200);
    expect(file.headers["content-type"]).toBe("application/pdf");
    expect(file.headers["content-disposition"]).toBe(
      "attachment; filename=\"_____.pdf\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf",
    );
    expect(file.headers["content-security-policy"]).toBe("sandbox; default-src 'none'");
    expect(file.body).toBe("%PDF-1.4 hello");
    for (const n of ["1", "-1", "abc", "99999999999"]) {
      expect((await admin.get(`/admin/outbox/${id}/attachments/${n}`)).statusCode, n).toBe(404);
    }
    expect((await admin.get("/admin/outbox/999/attachments/0")).statusCode).toBe(404);
    expect((await admin.get("/admin/outbox/999/html")).statusCode).toBe(404);
  });

  it("links to the run and the mailing the message was sent in", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const { mailing, run } = await sentMailing(admin, database);
    const list = await admin.get("/admin/outbox");
    expect(list.body).toContain('<table class="table table-hover mb-0 table-cards">');
    expect(list.body).toContain('data-label="Subject"');
    const id = Number(/href="\/admin\/outbox\/(\d+)"/.exec(list.body)![1]);
    const page = await admin.get(`/admin/outbox/${id}`);
    expect(page.body).toMatch(new RegExp(`<a href="/runs/${run}">Delivery #\\d+ in run #${run}</a>`));
    expect(page.body).toContain(`<a href="/mailings/${mailing}">Weekly &lt;news></a>`);
    expect(page.body).toContain(
      'href="https://example.com/x" target="_blank" rel="noopener noreferrer nofollow"',
    );
  });

  it("is for admins only: a user gets 404 on every outbox route", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    const id = await store(database, SAMPLE);
    const user = await registerUser(app, "user@example.com");
    for (const url of [
      `/admin/outbox/${id}`,
      `/admin/outbox/${id}/html`,
      `/admin/outbox/${id}/attachments/0`,
    ])
      expect((await user.get(url)).statusCode, url).toBe(404);
  });

  it("deletes older than N days after a confirmation, keeping newer messages", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const fresh = await store(database, SAMPLE);
    const old = await store(database, SAMPLE);
    await database.db
      .updateTable("outbox_messages")
      .set({ created_at: new Date(Date.now() - 8 * 86_400_000).toISOString() })
      .where("id", "=", old)
      .execute();
    const ask = await admin.get("/admin/outbox/delete?older_than=7");
    expect(ask.body).toContain("Delete older than a week from the outbox?");
    expect(ask.body).toContain("1 stored message will be deleted");
    expect(ask.body).toContain("Delete 1 message");
    const done = await admin.post(
      "/admin/outbox/delete?older_than=7",
      {},
      { from: "/admin/outbox/delete?older_than=7" },
    );
    expect(done.headers.location).toBe("/admin/outbox");
    expect((await admin.get("/admin/outbox")).body).toContain("Deleted 1 message.");
    const left = await database.db.selectFrom("outbox_messages").select("id").execute();
    expect(left.map((r) => r.id)).toEqual([fresh]);
    // Any number of days from a URL; bad input is refused with a message and never means "every message".
    expect((await admin.get("/admin/outbox/delete?older_than=2")).body).toContain(
      "Delete older than 2 days from the outbox?",
    );
    for (const bad of ["abc", "-1", "3651", "1.5", ""]) {
      const refused = await admin.get(`/admin/outbox/delete?older_than=${bad}`);
      expect(refused.statusCode, bad).toBe(422);
      expect(refused.body, bad).toContain("Choose which messages to delete");
    }
    const refused = await admin.post("/admin/outbox/delete?older_than=abc", {}, { from: "/admin/outbox" });
    expect(refused.statusCode).toBe(422);
    expect(await database.db.selectFrom("outbox_messages").select("id").execute()).toHaveLength(1);
  });
});
