/** The sending pages through the web app: send now, the run page, live progress, retry failed, outbox, reports. */
import type { Insertable } from "kysely";
import { describe, expect, it } from "vitest";
import type { DeliveryAttemptTable } from "../../src/db/schema.js";
import { ATTEMPTS_SHOWN } from "../../src/delivery/delivery.service.js";
import { OutboxMailer } from "../../src/delivery/outbox.mailer.js";
import type { Mailer } from "../../src/delivery/ports.js";
import { DeliveryRetention } from "../../src/delivery/retention.js";
import { formatInZone } from "../../src/shared/time.js";
import { insertWorkerBeat } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { build, type Client, idFromLocation, setupAdmin } from "../helpers/web.js";
import {
  deliveriesOf,
  fastConfig,
  finishedRun,
  makeWorker,
  sentFailedWaiting,
  smtpMailer,
} from "./support.js";

type NewAttempt = Insertable<DeliveryAttemptTable>;

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

/** An attribute's text as the browser reads it. */
const attributeText = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&amp;/g, "&");
const chartData = (html: string) => JSON.parse(attributeText(/data-chart="([^"]*)"/.exec(html)![1]!));

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
    // Back to the run it was sent in.
    expect(message.body).toMatch(new RegExp(`<a href="/runs/${runId}">Delivery #\\d+ in run #${runId}</a>`));
    // Search by recipient or subject, any case; LIKE's wildcards are plain characters.
    const bob = await admin.get("/admin/outbox?q=BOB");
    expect(bob.body).toContain("bob@example.com");
    expect(bob.body).not.toContain("ann@example.com");
    expect((await admin.get("/admin/outbox?q=hello%20%3Cyou")).body).toContain("ann@example.com");
    expect((await admin.get("/admin/outbox?q=%25")).body).toContain("No message matches");

    const mailingPage = await admin.get(`/mailings/${mailing}`);
    expect(mailingPage.body).toContain(`href="/runs/${runId}"`);
    expect(mailingPage.body).toMatch(/>2<\/span> sent/);
    const reports = await admin.get("/reports");
    // Each figure is labelled, so on a phone a month reads as a card of "Sent: 2" lines.
    expect(reports.body).toMatch(/<td class="text-end" data-label="Sent">2<\/td>/);
    expect(reports.body).toContain('<table class="table mb-0 table-cards">');
    // The totals' icons are large enough to tell apart (at 1rem "sent" and "failed" looked alike).
    expect(reports.body).toContain('<i class="bi bi-envelope-check fs-4 text-primary" aria-hidden="true">');

    // Clearing the outbox asks first, with the count; nothing stored today is older than a day.
    expect((await admin.get("/admin/outbox/delete?older_than=1")).body).toContain(
      "0 stored messages will be deleted",
    );
    const ask = await admin.get("/admin/outbox/delete?older_than=0");
    expect(ask.body).toContain("2 stored messages will be deleted");
    expect(await database.db.selectFrom("outbox_messages").selectAll().execute()).toHaveLength(2);
    const cleared = await admin.post(
      "/admin/outbox/delete?older_than=0",
      {},
      { from: "/admin/outbox/delete" },
    );
    expect(cleared.headers.location).toBe("/admin/outbox");
    expect(await database.db.selectFrom("outbox_messages").selectAll().execute()).toEqual([]);
    expect((await admin.get("/admin/outbox")).body).toContain("The outbox is empty");
    // The dashboard charts the last 30 days, today last, with both messages on it.
    const daysChart = chartData((await admin.get("/")).body);
    expect(daysChart.x).toHaveLength(30);
    // The days and months on the axes read as dates ("3 Dec", "Dec 2026"), not "12-03" or "2026-12".
    const today = new Date();
    const month = today.toLocaleString("en", { month: "short", timeZone: "UTC" });
    expect(daysChart.x.at(-1)).toBe(`${today.getUTCDate()} ${month}`);
    expect(daysChart.series[0].label).toBe("Sent");
    expect(daysChart.series[0].values.at(-1)).toBe(2);
    expect(daysChart.series[0].values.slice(0, -1).every((n: number) => n === 0)).toBe(true);
    // The months chart, with its figures as the table folded beneath it.
    const monthsChart = chartData(reports.body);
    expect(monthsChart.series[0]).toMatchObject({ label: "Sent", values: [2] });
    expect(monthsChart.series[1].label).toBe("Failed deliveries");
    expect(monthsChart.x).toEqual([`${month} ${today.getUTCFullYear()}`]);
    // The month's card (a row on a desktop) is headed by the same name.
    expect(reports.body).toContain(
      `<td class="text-nowrap fw-semibold">${month} ${today.getUTCFullYear()}</td>`,
    );
    expect(reports.body).toMatch(/<details class="mt-2"><summary class="small">Messages per month/);
    // The run's charts: deliveries per minute (both sent in one minute) and the replies by code.
    const charts = [...done.body.matchAll(/data-chart="([^"]*)"/g)].map((m) =>
      JSON.parse(attributeText(m[1]!)),
    );
    expect(charts.map((c) => c.series.map((x: { label: string }) => x.label))).toEqual([
      ["Sent", "Failed"],
      ["Deliveries"],
    ]);
    expect(charts[0].series[0].values).toEqual([2]);
    expect(charts[1]).toMatchObject({ kind: "bars", x: ["250"], series: [{ values: [2] }] });
    // uPlot is served from node_modules (no CDN), like Bootstrap.
    for (const asset of [
      "/assets/uplot/uPlot.iife.min.js",
      "/assets/uplot/uPlot.min.css",
      "/assets/app/charts.js",
    ]) {
      expect((await app.inject({ method: "GET", url: asset })).statusCode).toBe(200);
    }
  });

  it("the run page's poll redraws the rows on screen: their status, tries, reply and sent time", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const mailing = await mailingWith(admin, ["ann@example.com", "bob@example.com"]);
    const runId = idFromLocation(
      await admin.post(`/mailings/${mailing}/send`, {}, { from: `/mailings/${mailing}/send` }),
    );
    const page = await admin.get(`/runs/${runId}`);
    expect(page.body).toContain("data-live-rows");
    expect(page.body).toMatch(/data-tab-count="pending">2</);
    const ids = [...page.body.matchAll(/data-delivery-id="(\d+)"/g)].map((m) => Number(m[1]));
    expect(ids).toHaveLength(2);

    const before = JSON.parse((await admin.get(`/runs/${runId}/progress?ids=${ids.join(",")}`)).body);
    expect(before).toMatchObject({ pending: 2, outcome_label: "Sending", done: false });
    expect(before.rows.map((r: { status: string }) => r.status)).toEqual(["pending", "pending"]);

    const worker = makeWorker(database, new OutboxMailer(database.db, () => new Date()), fastConfig());
    worker.start();
    try {
      await finishedRun(database, runId);
    } finally {
      await worker.stop();
    }
    const after = JSON.parse((await admin.get(`/runs/${runId}/progress?ids=${ids.join(",")}`)).body);
    expect(after).toMatchObject({ sent: 2, done: true, outcome_label: "Sent" });
    for (const row of after.rows) {
      expect(row).toMatchObject({ status: "sent", badge: "text-bg-success", tries: 1 });
      expect(row.reply).toMatch(/^250 2\.0\.0 Stored in the local outbox/);
      expect(row.sent).toMatch(/UTC$/);
    }
    // Ids that are not numbers, or not this run's, give no rows and no error.
    const odd = await admin.get(`/runs/${runId}/progress?ids=abc,-1,0,${ids[0]! + 1000},1e3`);
    expect(odd.statusCode).toBe(200);
    expect(JSON.parse(odd.body).rows).toEqual([]);
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

  it("shows each delivery's tries on the run page, escaped, and the run's status in words", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const mailing = await mailingWith(admin, ["ann@example.com", "bob@example.com"]);
    const runId = idFromLocation(await admin.post(`/mailings/${mailing}/send`, {}, { from: "/" }));
    const [ann, bob] = await deliveriesOf(database, runId);
    const attempt = (deliveryId: number, at: string, fields: Partial<NewAttempt>): NewAttempt => ({
      delivery_id: deliveryId,
      run_id: runId,
      attempted_at: at,
      stage: "rcpt",
      outcome: "retry",
      code: 450,
      enhanced: "4.2.1",
      text: "450 4.2.1 Mailbox busy",
      relay: "mx.example.test:25",
      ...fields,
    });
    await database.db
      .insertInto("delivery_attempts")
      .values([
        attempt(ann!.id, "2027-03-10T09:00:05.000Z", {
          stage: "connect",
          outcome: "relay",
          code: null,
          enhanced: null,
          text: "connect ECONNREFUSED 127.0.0.1:25",
        }),
        attempt(ann!.id, "2027-03-10T09:01:00.000Z", {}),
        attempt(ann!.id, "2027-03-10T09:03:00.000Z", {
          stage: "data",
          outcome: "sent",
          code: 250,
          enhanced: "2.0.0",
          text: "250 2.0.0 Ok: queued",
        }),
        attempt(bob!.id, "2027-03-10T09:00:06.000Z", {
          outcome: "failed",
          code: 550,
          enhanced: "5.1.1",
          text: "550 5.1.1 <script>alert(1)</script> unknown",
        }),
      ])
      .execute();
    const sending = await admin.get(`/runs/${runId}`);
    expect(sending.body).toContain('<span class="badge text-bg-info">Sending</span>');
    const page = sending.body;
    expect(page).toContain("History: 3 tries");
    expect(page).toContain("History: 1 try");
    // Oldest first, in the viewer's zone, with the stage and the outcome in words.
    const ann1 = page.indexOf("10 Mar 2027, 09:00:05");
    const ann2 = page.indexOf("10 Mar 2027, 09:01:00");
    const ann3 = page.indexOf("10 Mar 2027, 09:03:00");
    expect(ann1).toBeGreaterThan(0);
    expect(ann1 < ann2 && ann2 < ann3).toBe(true);
    for (const words of [
      "connecting",
      "relay problem — no try used",
      "RCPT TO",
      "will retry",
      "DATA",
      "via mx.example.test:25",
    ])
      expect(page).toContain(words);
    expect(page).toContain("connect ECONNREFUSED 127.0.0.1:25");
    expect(page).toContain(
      '<code class="me-1">450</code><code class="me-1">4.2.1</code><span class="pre-wrap">Mailbox busy</span>',
    );
    // A hostile reply is text, never markup.
    expect(page).toContain("&lt;script>alert(1)&lt;/script> unknown");
    expect(page).not.toContain("<script>alert(1)");

    // The status in words, on the run page and in the mailing's runs table.
    const words = async (sent: number, failed: number) => {
      await database.db
        .updateTable("runs")
        .set({
          status: failed === 0 ? "success" : "failure",
          sent_count: sent,
          failed_count: failed,
          finished_at: new Date().toISOString(),
        })
        .where("id", "=", runId)
        .execute();
      const [run, list] = [await admin.get(`/runs/${runId}`), await admin.get(`/mailings/${mailing}`)];
      return [run.body, list.body].map(
        (b) => /<span class="badge text-bg-\w+">(Sent|Partly failed \(\d+\)|Failed)<\/span>/.exec(b)?.[1],
      );
    };
    expect(await words(2, 0)).toEqual(["Sent", "Sent"]);
    expect(await words(1, 1)).toEqual(["Partly failed (1)", "Partly failed (1)"]);
    expect(await words(0, 2)).toEqual(["Failed", "Failed"]);
  });

  it('says "and N earlier" when a delivery has more tries than shown', async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const mailing = await mailingWith(admin, ["ann@example.com"]);
    const runId = idFromLocation(await admin.post(`/mailings/${mailing}/send`, {}, { from: "/" }));
    const [ann] = await deliveriesOf(database, runId);
    await database.db
      .insertInto("delivery_attempts")
      .values(
        Array.from({ length: ATTEMPTS_SHOWN + 3 }, (_, i) => ({
          delivery_id: ann!.id,
          run_id: runId,
          attempted_at: new Date(Date.UTC(2027, 2, 10, 9, i)).toISOString(),
          stage: "connect" as const,
          outcome: "relay" as const,
          code: null,
          enhanced: null,
          text: `connect ETIMEDOUT #${i + 1}`,
          relay: "mx.example.test:25",
        })),
      )
      .execute();
    const page = (await admin.get(`/runs/${runId}`)).body;
    expect(page).toContain(`History: ${ATTEMPTS_SHOWN + 3} tries`);
    expect(page).toContain("… and 3 earlier tries");
    expect(page).not.toContain("connect ETIMEDOUT #3<");
    expect(page).toContain("connect ETIMEDOUT #4<");
    expect(page).toContain(`connect ETIMEDOUT #${ATTEMPTS_SHOWN + 3}<`);
  });

  it('offers "Retry failed now" while others wait for a retry, and keeps the earlier tries', async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const mailing = await mailingWith(admin, ["ann@example.com", "bob@example.com", "cy@example.com"]);
    const runId = idFromLocation(await admin.post(`/mailings/${mailing}/send`, {}, { from: "/" }));
    const now = Date.now();
    const retryAt = new Date(now + 10 * 60_000);
    const [, bob] = await sentFailedWaiting(database, runId, {
      failed: "550 5.1.1 unknown",
      waiting: "451 try later",
      retryAt: retryAt.toISOString(),
    });
    await database.db
      .insertInto("delivery_attempts")
      .values({
        delivery_id: bob!.id,
        run_id: runId,
        attempted_at: new Date(now).toISOString(),
        stage: "rcpt",
        outcome: "failed",
        code: 550,
        enhanced: "5.1.1",
        text: "550 5.1.1 unknown",
        relay: "mx.example.test:25",
      })
      .execute();

    const page = (await admin.get(`/runs/${runId}`)).body;
    expect(page).toContain(
      `Next retry</dt><dd class="col-sm-9 pre-wrap">at ${formatInZone(retryAt.toISOString(), "UTC")} (1 delivery waiting)`,
    );
    expect(page).toContain("Retry failed now");
    expect(page).not.toContain("Retry failed deliveries");

    const retried = await admin.post(`/runs/${runId}/retry-failed`, {}, { from: `/runs/${runId}` });
    expect(retried.statusCode).toBe(303);
    expect(retried.headers.location).toBe(`/runs/${runId}`);
    const after = await deliveriesOf(database, runId);
    expect(after.map((d) => d.status)).toEqual(["sent", "pending", "pending"]);
    expect(Date.parse(after[1]!.next_attempt_at)).toBeLessThanOrEqual(Date.now());
    expect(after[2]!.next_attempt_at).toBe(retryAt.toISOString()); // the waiting one keeps its time
    expect(await database.db.selectFrom("delivery_attempts").selectAll().execute()).toHaveLength(1);
    const shown = (await admin.get(`/runs/${runId}`)).body;
    expect(shown).toContain("The failed deliveries are being sent again now.");
    expect(shown).toContain("History: 1 try");
    expect(shown).not.toContain("Retry failed now"); // nothing failed now, and bob is due
  });

  it("shows on every page that sending is paused and why while the mail server is down", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    await insertWorkerBeat(database.db, {
      state: "paused",
      reason: "connect ECONNREFUSED 127.0.0.1:25",
      paused_until: new Date(Date.now() + 60_000).toISOString(),
    });
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

describe("a pruned run's page", () => {
  it("says its per-recipient rows were removed and keeps its counts", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const mailing = await mailingWith(admin, ["ann@example.com", "bob@example.com"]);
    const runId = idFromLocation(
      await admin.post(`/mailings/${mailing}/send`, {}, { from: `/mailings/${mailing}/send` }),
    );
    const worker = makeWorker(database, new OutboxMailer(database.db, () => new Date()), fastConfig());
    worker.start();
    try {
      await finishedRun(database, runId);
    } finally {
      await worker.stop();
    }
    const later = { now: () => new Date(Date.now() + 31 * 86_400_000) };
    const pruned = await new DeliveryRetention({ database, days: 30, clock: later }).pruneOnce();
    expect(pruned).toMatchObject({ runs: 1, deliveries: 2 });

    const page = await admin.get(`/runs/${runId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Per-recipient rows removed after 30 days");
    expect(page.body).not.toContain("ann@example.com");
    expect(page.body).toContain('<span class="badge text-bg-success">Sent</span>');
  });
});
