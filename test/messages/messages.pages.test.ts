import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { LIMITS } from "../../src/shared/fields.js";
import { build, type Client, idFromLocation, setupAdmin } from "../helpers/web.js";

const XSS = `<script>alert(1)</script>"'><img src=x onerror=alert(1)>`;
const XSS_ESCAPED = "&lt;script>alert(1)&lt;/script>";

async function addMessage(client: Client, form: Record<string, string>) {
  return client.post("/messages/new", form, { from: "/messages/new" });
}

async function addMailing(client: Client, name: string, messageId: number) {
  const res = await client.post(
    "/mailings/new",
    {
      name,
      message_id: String(messageId),
      first_send_at: "2099-01-01T09:00",
      end_at: "2099-02-01T09:00",
      periodicity: "once",
      time_zone: "UTC",
      recipient_mode: "none",
    },
    { from: "/mailings/new" },
  );
  return idFromLocation(res);
}

const countMessages = async (database: Database) =>
  Number(
    (
      await database.db
        .selectFrom("messages")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("message pages", () => {
  it("creates, shows with its created date, lists, edits and deletes a message", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const created = await addMessage(admin, { subject: "  Spring news ", body: "Hello\nthere" });
    expect(created.statusCode).toBe(303);
    const id = idFromLocation(created);
    const detail = await admin.get(`/messages/${id}`);
    expect(detail.body).toContain("Message created.");
    expect(detail.body).toMatch(/<h1[^>]*>Spring news<\/h1>/);
    expect(detail.body).toContain("Hello\nthere");
    expect(detail.body).toMatch(/Created \d{1,2} \w{3} \d{4}, \d{2}:\d{2}/);
    expect(detail.body).toContain("No mailing sends this message yet.");
    const list = await admin.get("/messages");
    expect(list.body).toContain(`<a href="/messages/${id}">Spring news</a>`);
    expect(list.body).toMatch(/<td class="text-nowrap[^"]*">\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC<\/td>/);

    expect((await admin.get(`/messages/${id}/edit`)).body).toContain('value="Spring news"');
    const saved = await admin.post(
      `/messages/${id}/edit`,
      { subject: "Summer news", body: "Changed" },
      { from: `/messages/${id}/edit` },
    );
    expect(saved.statusCode).toBe(303);
    expect((await admin.get(`/messages/${id}`)).body).toContain("Summer news");

    expect((await admin.get(`/messages/${id}/delete`)).body).toContain("No mailing uses it.");
    const deleted = await admin.post(`/messages/${id}/delete`, {}, { from: `/messages/${id}/delete` });
    expect(deleted.statusCode).toBe(303);
    expect((await admin.get(`/messages/${id}`)).statusCode).toBe(404);
    expect((await admin.get("/messages")).body).toContain("No messages yet");
  });

  it("searches subject and text and sorts by subject", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    for (const [subject, body] of [
      ["beta", "100% cotton"],
      ["Alpha", "plain"],
      ["gamma", "under_score"],
    ]) {
      await addMessage(admin, { subject: subject!, body: body! });
    }
    const subjects = async (query: string) =>
      [
        ...(await admin.get(`/messages?${query}`)).body.matchAll(/<a href="\/messages\/\d+">([^<]*)<\/a>/g),
      ].map((m) => m[1]);
    expect(await subjects("sort=subject&dir=asc")).toEqual(["Alpha", "beta", "gamma"]);
    expect(await subjects("sort=subject&dir=desc")).toEqual(["gamma", "beta", "Alpha"]);
    expect(await subjects("sort=created_at&dir=desc")).toEqual(["gamma", "Alpha", "beta"]);
    expect(await subjects("q=%25")).toEqual(["beta"]);
    expect(await subjects("q=_")).toEqual(["gamma"]);
    expect(await subjects("q=ALPHA")).toEqual(["Alpha"]);
  });

  it("refuses to delete a message a mailing uses, listing the mailings, and deletes nothing", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const id = idFromLocation(await addMessage(admin, { subject: "Used", body: "x" }));
    const first = await addMailing(admin, "Autumn news", id);
    const second = await addMailing(admin, "Winter news", id);

    const confirm = await admin.get(`/messages/${id}/delete`);
    expect(confirm.body).toContain("cannot be deleted while mailings send it");
    expect(confirm.body).not.toContain("Delete message</button>");
    expect(confirm.body).toContain(`<a href="/mailings/${first}">Autumn news</a>`);
    expect(confirm.body).toContain(`<a href="/mailings/${second}">Winter news</a>`);

    const refused = await admin.post(`/messages/${id}/delete`, {}, { from: `/messages/${id}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain("This message is used by 2 mailings.");
    expect(refused.body).toContain(`<a href="/mailings/${first}">Autumn news</a>`);
    expect(await countMessages(database)).toBe(1);
    expect((await admin.get(`/mailings/${first}`)).statusCode).toBe(200);
    expect((await admin.get(`/messages/${id}`)).body).toContain("Autumn news");
  });
});

describe("message pages with bad input", () => {
  it("rejects a subject with a line break, empty fields and over-long fields, keeping what was typed", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const cases: [Record<string, string>, string, string][] = [
      [
        { subject: "Hello\r\nBcc: victim@example.com", body: "kept body" },
        "Subject must be a single line.",
        "kept body",
      ],
      [{ subject: "Hello\nWorld", body: "kept body" }, "Subject must be a single line.", "kept body"],
      [{ subject: "Hello\rWorld", body: "kept body" }, "Subject must be a single line.", "kept body"],
      [{ subject: "", body: "kept body" }, "Subject is required.", "kept body"],
      [{ subject: "Kept subject", body: "   " }, "Body is required.", 'value="Kept subject"'],
      [{}, "Subject is required.", "Body is required."],
      [
        { subject: "nul\u0000", body: "nul\u0000" },
        "Subject contains a character that is not allowed.",
        "Body contains a character that is not allowed.",
      ],
      [
        { subject: "s".repeat(LIMITS.subject + 1), body: "kept body" },
        `Subject must be at most ${LIMITS.subject} characters.`,
        "kept body",
      ],
      [
        { subject: "Kept subject", body: "b".repeat(LIMITS.body + 1) },
        `Body must be at most ${LIMITS.body} characters.`,
        'value="Kept subject"',
      ],
    ];
    for (const [form, error, kept] of cases) {
      const res = await addMessage(admin, form);
      expect(res.statusCode, error).toBe(422);
      expect(res.body).toContain(error);
      expect(res.body).toContain(kept);
    }
    expect(await countMessages(database)).toBe(0);

    const id = idFromLocation(await addMessage(admin, { subject: "Fine", body: "Fine body" }));
    const bad = await admin.post(
      `/messages/${id}/edit`,
      { subject: "Two\nlines", body: "new body" },
      { from: `/messages/${id}/edit` },
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("new body");
    expect((await admin.get(`/messages/${id}`)).body).toContain("Fine body");
  });

  it("renders an XSS payload in subject and body as text on the list, detail, edit, delete and error pages", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const id = idFromLocation(await addMessage(admin, { subject: XSS, body: XSS }));
    const pages = [
      await admin.get("/messages"),
      await admin.get(`/messages/${id}`),
      await admin.get(`/messages/${id}/edit`),
      await admin.get(`/messages/${id}/delete`),
      await admin.get(`/messages?q=${encodeURIComponent(XSS)}`),
      await admin.get("/mailings/new"),
      await addMessage(admin, { subject: "", body: XSS }),
      await addMessage(admin, { subject: `${XSS}\nx`, body: XSS }),
    ];
    for (const page of pages) {
      expect(page.statusCode).toBeLessThan(500);
      expect(page.body).not.toContain("<script>alert(1)");
      expect(page.body).not.toContain("<img src=x");
      expect(page.body).toContain(XSS_ESCAPED);
    }
  });
});
