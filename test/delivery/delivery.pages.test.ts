/** The sending pages through the web app: send now, the run page, live progress, retry failed, outbox, reports. */
import { describe, expect, it } from "vitest";
import { OutboxMailer } from "../../src/delivery/outbox.mailer.js";
import type { Mailer } from "../../src/delivery/ports.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { build, type Client, idFromLocation, setupAdmin } from "../helpers/web.js";
import { fastConfig, finishedRun, makeWorker, smtpMailer } from "./support.js";

async function mailingWith(client: Client, emails: string[]): Promise<number> {
  for (const email of emails) await client.post("/recipients/new", { email }, { from: "/recipients/new" });
  const message = idFromLocation(
    await client.post(
      "/messages/new",
      { subject: "Hello <you>", body: "Body text" },
      { from: "/messages/new" },
    ),
  );
  return idFromLocation(
    await client.post(
      "/mailings/new",
      {
        name: "News",
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
}

describe("sending pages", () => {
  it("sends now after a confirmation, shows every delivery with the server's reply, and the outbox", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const mailing = await mailingWith(admin, ["ann@example.com", "bob@example.com"]);

    const confirm = await admin.get(`/mailings/${mailing}/send`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain("<strong>2</strong> recipients");
    // Nothing is created by looking at the confirmation page.
    expect(await database.db.selectFrom("runs").selectAll().execute()).toEqual([]);

    const sent = await admin.post(`/mailings/${mailing}/send`, {}, { from: `/mailings/${mailing}/send` });
    expect(sent.statusCode).toBe(303);
    const runId = idFromLocation(sent);
    // Sending never happens in the request: the run waits for a worker.
    const pending = await admin.get(`/runs/${runId}`);
    expect(pending.body).toContain("Sending");
    expect(pending.body).toContain(`data-progress-url="/runs/${runId}/progress"`);
    const progress = await admin.get(`/runs/${runId}/progress`);
    expect(JSON.parse(progress.body)).toMatchObject({ total: 2, sent: 0, pending: 2, done: false });
    // A second "send now" while the first is sending is refused with a message.
    const again = await admin.post(`/mailings/${mailing}/send`, {}, { from: "/" });
    expect(again.headers.location).toBe(`/mailings/${mailing}`);

    const worker = makeWorker(database, new OutboxMailer(database.db, () => new Date()), fastConfig());
    worker.start();
    try {
      await finishedRun(database, runId);
    } finally {
      await worker.stop();
    }
    const done = await admin.get(`/runs/${runId}`);
    expect(done.body).toContain('<span class="badge text-bg-success">Sent</span>');
    expect(done.body).toContain("ann@example.com");
    expect(done.body).toContain("Stored in the local outbox");
    expect(done.body).not.toContain("data-progress-url");
    const onlyFailed = await admin.get(`/runs/${runId}?status=failed`);
    expect(onlyFailed.body).toContain("No deliveries here");

    const outbox = await admin.get("/admin/outbox");
    expect(outbox.body).toContain("bob@example.com");
    // The subject is escaped in the outbox list.
    expect(outbox.body).toContain("Hello &lt;you>");
    expect(outbox.body).not.toContain("Hello <you>");
    const outboxId = Number(/href="\/admin\/outbox\/(\d+)"/.exec(outbox.body)![1]);
    const message = await admin.get(`/admin/outbox/${outboxId}`);
    expect(message.body).toContain("Body text");

    const mailingPage = await admin.get(`/mailings/${mailing}`);
    expect(mailingPage.body).toContain(`href="/runs/${runId}"`);
    expect(mailingPage.body).toMatch(/>2<\/span> sent/);
    const reports = await admin.get("/reports");
    expect(reports.body).toMatch(/<td class="text-end">2<\/td>/);
  });

  it("records a 550 with its text and retries the failed deliveries on request", async () => {
    const smtp = await TestSmtpServer.start();
    try {
      const { app, database } = await build();
      const admin = await setupAdmin(app);
      smtp.rcptReplies.set("bad@example.com", { code: 550, message: "5.1.1 No such user here" });
      const mailing = await mailingWith(admin, ["good@example.com", "bad@example.com"]);
      const runId = idFromLocation(await admin.post(`/mailings/${mailing}/send`, {}, { from: "/" }));
      const mailer: Mailer = smtpMailer(smtp.url);
      const worker = makeWorker(database, mailer);
      worker.start();
      try {
        await finishedRun(database, runId);
        const page = await admin.get(`/runs/${runId}?status=failed`);
        expect(page.body).toContain("bad@example.com");
        expect(page.body).toContain("No such user here");
        expect(page.body).not.toContain("good@example.com");
        expect(page.body).toContain("Retry failed deliveries");

        smtp.rcptReplies.clear();
        const retried = await admin.post(`/runs/${runId}/retry-failed`, {}, { from: "/" });
        expect(retried.statusCode).toBe(303);
        const run = await finishedRun(database, runId);
        expect(run.status).toBe("success");
      } finally {
        await worker.stop();
        await mailer.close();
      }
    } finally {
      await smtp.close();
    }
  });

  it("shows on every page that sending is paused and why while the mail server is down", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const now = new Date().toISOString();
    await database.db
      .insertInto("delivery_workers")
      .values({
        worker_id: "w1",
        host: "h",
        pid: 1,
        state: "paused",
        reason: "connect ECONNREFUSED 127.0.0.1:25",
        paused_until: new Date(Date.now() + 60_000).toISOString(),
        started_at: now,
        heartbeat_at: now,
      })
      .execute();
    const page = await admin.get("/recipients");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Sending is paused: connect ECONNREFUSED 127.0.0.1:25.");
    expect(page.body).toContain("It resumes by itself");
  });

  it("says on every page that mail stays on the machine without SMTP_URL", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const page = await admin.get("/mailings");
    expect(page.body).toContain("Mail is not leaving this machine");
    expect(page.body).toContain('href="/admin/outbox"');
    // Also on a form shown again with its errors.
    const invalid = await admin.post(
      "/recipients/new",
      { email: "not an email" },
      { from: "/recipients/new" },
    );
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain("Mail is not leaving this machine");
  });
});
