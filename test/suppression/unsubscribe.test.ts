import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import type { DeliveryWorker } from "../../src/delivery/worker.js";
import { KyselySuppressionCheck } from "../../src/suppression/suppression.check.js";
import { unsubscribeLinks } from "../../src/suppression/unsubscribe-links.js";
import { deliveriesOf, fastConfig, finishedRun, makeWorker, smtpMailer } from "../delivery/support.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { build, TEST_UNSUBSCRIBE_SECRET, type TestApp } from "../helpers/web.js";

const BASE = "https://mail.example.org";

/** Decodes a quoted-printable body (soft breaks, =XX) into UTF-8 text. */
function decodeQp(body: string): string {
  const bytes = body
    .replace(/=\r\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

describe("Unsubscribe links", () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let worker: DeliveryWorker | undefined;
  let mailer: ReturnType<typeof smtpMailer> | undefined;

  beforeEach(async () => {
    t = await build();
    smtp = await TestSmtpServer.start();
  });

  afterEach(async () => {
    await worker?.stop();
    await mailer?.close();
    worker = undefined;
    await smtp.close();
  });

  function startWorker() {
    const config = fastConfig();
    mailer = smtpMailer(smtp.url, config);
    worker = makeWorker(t.database, mailer, config, {
      unsubscribe: unsubscribeLinks({
        key: TEST_UNSUBSCRIBE_SECRET,
        baseUrl: BASE,
        mailto: "unsubscribe@example.org",
        footer: "Unsubscribe: {{unsubscribe_url}}",
      }),
      suppression: new KyselySuppressionCheck(t.database.db),
    });
    worker.start();
  }

  async function sendRun(mailingId: number, userId: number) {
    const created = await new KyselyRunsStore(t.database).createRun({
      mailingId,
      trigger: "web",
      actorUserId: userId,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    if (!("run" in created)) throw new Error(`no run: ${created.skipped}`);
    return finishedRun(t.database, created.run.id);
  }

  it("stamps every copy, unsubscribes by one-click POST without cookies, and suppresses the next run", async () => {
    const seeded = await seedMailing(t.database.db, {
      recipients: ["anna@example.com", "boris@example.com"],
      message: { subject: "Новости", body: "Привет! Это наши новости." },
    });
    startWorker();
    const first = await sendRun(seeded.mailing.id, seeded.user.id);
    expect(first.status).toBe("success");
    expect(smtp.received).toHaveLength(2);

    const deliveries = await deliveriesOf(t.database, first.id);
    const anna = deliveries.find((d) => d.email === "anna@example.com")!;
    const token = t.services.unsubscribe.tokenFor(anna.id);
    const copy = smtp.received.find((m) => m.to.includes("anna@example.com"))!;
    const [head, body] = [
      copy.raw.slice(0, copy.raw.indexOf("\r\n\r\n")),
      copy.raw.slice(copy.raw.indexOf("\r\n\r\n") + 4),
    ];
    const url = `${BASE}/u/${token}`;
    expect(head).toContain(
      `List-Unsubscribe: <${url}>,\r\n <mailto:unsubscribe+${token}@example.org?subject=unsubscribe>`,
    );
    expect(head).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(head.toLowerCase()).toContain(`list-id: <mailing-${seeded.mailing.id}.postpilot.test>`);
    const text = decodeQp(body);
    expect(text).toContain("Привет! Это наши новости.");
    expect(text).toContain(`Unsubscribe: ${url}`);

    // A link scanner's GET changes nothing.
    const get = await t.app.inject({ method: "GET", url: `/u/${token}` });
    expect(get.statusCode).toBe(200);
    expect(get.body).toContain("Unsubscribe?");
    expect(get.headers["set-cookie"]).toBeUndefined();
    expect(await t.database.db.selectFrom("suppressions").selectAll().execute()).toEqual([]);

    // The mail provider's one-click POST: no cookie, no CSRF token.
    const post = await t.app.inject({
      method: "POST",
      url: `/u/${token}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "List-Unsubscribe=One-Click",
    });
    expect(post.statusCode).toBe(200);
    expect(post.body).toContain("You are unsubscribed");
    const suppressions = await t.database.db.selectFrom("suppressions").selectAll().execute();
    expect(suppressions).toMatchObject([
      {
        email: "anna@example.com",
        reason: "unsubscribed",
        source: "one-click",
        delivery_id: anna.id,
        run_id: first.id,
        mailing_id: seeded.mailing.id,
        owner_id: seeded.user.id,
      },
    ]);
    const unsubscribes = await t.database.db.selectFrom("unsubscribes").selectAll().execute();
    expect(unsubscribes).toMatchObject([{ delivery_id: anna.id, source: "one-click" }]);

    // Reused: nothing changes, and the page says so.
    const again = await t.app.inject({ method: "POST", url: `/u/${token}`, payload: {} });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain("already been used");
    expect(await t.database.db.selectFrom("unsubscribes").selectAll().execute()).toHaveLength(1);

    // The next run records Anna as suppressed and does not send to her.
    smtp.received.length = 0;
    const second = await sendRun(seeded.mailing.id, seeded.user.id);
    expect(second.status).toBe("success");
    expect(second.sent_count).toBe(1);
    expect(second.failed_count).toBe(0);
    expect(smtp.received.map((m) => m.to)).toEqual([["boris@example.com"]]);
    const next = await deliveriesOf(t.database, second.id);
    expect(next.find((d) => d.email === "anna@example.com")).toMatchObject({
      status: "suppressed",
      last_text: "Suppressed: unsubscribed",
    });
    const view = await t.services.delivery.getRun({ id: seeded.user.id, role: "user" }, second.id);
    expect(view.outcome_label).toBe("Sent");
    expect(view.progress.suppressed).toBe(1);
    const [month] = await t.services.delivery.report({ id: seeded.user.id, role: "user" });
    expect(month).toMatchObject({ runs: 2, sent: 3, failed: 0, suppressed: 1 });
  });

  it("a wrong or tampered token changes nothing and says so plainly", async () => {
    const seeded = await seedMailing(t.database.db, { recipients: ["anna@example.com"] });
    startWorker();
    const run = await sendRun(seeded.mailing.id, seeded.user.id);
    const [d] = await deliveriesOf(t.database, run.id);
    const good = t.services.unsubscribe.tokenFor(d!.id);
    const tampered = `${good.slice(0, -2)}${good.endsWith("AA") ? "BB" : "AA"}`;
    const otherId = t.services.unsubscribe.tokenFor(d!.id + 1000);
    for (const token of [tampered, "nonsense", otherId, "%3Cscript%3E"]) {
      for (const method of ["GET", "POST"] as const) {
        const res = await t.app.inject({
          method,
          url: `/u/${token}`,
          payload: method === "POST" ? {} : undefined,
        });
        expect(res.statusCode).toBe(404);
        expect(res.body).toContain("This unsubscribe link is not valid");
        expect(res.body).not.toContain("<script>");
      }
    }
    expect(await t.database.db.selectFrom("suppressions").selectAll().execute()).toEqual([]);
  });

  it("the worker re-checks: an address suppressed after its run was created is not sent", async () => {
    const seeded = await seedMailing(t.database.db, {
      recipients: ["anna@example.com", "boris@example.com"],
    });
    const created = await new KyselyRunsStore(t.database).createRun({
      mailingId: seeded.mailing.id,
      trigger: "web",
      actorUserId: seeded.user.id,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    if (!("run" in created)) throw new Error("no run");
    await t.services.suppressions.add(
      seeded.user,
      { email: " Boris@Example.com ", reason: "complaint" },
      "manual",
    );
    startWorker();
    const run = await finishedRun(t.database, created.run.id);
    expect(run.status).toBe("success");
    expect(smtp.received.map((m) => m.to)).toEqual([["anna@example.com"]]);
    const rows = await deliveriesOf(t.database, run.id);
    expect(rows.find((d) => d.email === "boris@example.com")).toMatchObject({
      status: "suppressed",
      last_text: "Suppressed: complaint",
    });
  });

  it("a run whose every recipient is suppressed finishes at once as Sent", async () => {
    const seeded = await seedMailing(t.database.db, { recipients: ["anna@example.com"] });
    await t.services.suppressions.add(seeded.user, { email: "anna@example.com" }, "manual");
    const run = await sendRun(seeded.mailing.id, seeded.user.id);
    expect(run).toMatchObject({ status: "success", sent_count: 0, failed_count: 0, total_count: 1 });
  });
});
