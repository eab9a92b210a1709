import PostalMime from "postal-mime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import type { DeliveryWorker } from "../../src/delivery/worker.js";
import { unsubscribeLinks } from "../../src/suppression/unsubscribe-links.js";
import { TemplateCopies } from "../../src/templates/copies.js";
import { ViewLinks } from "../../src/templates/view-links.js";
import { deliveriesOf, FROM, fastConfig, finishedRun, makeWorker, smtpMailer } from "../delivery/support.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { build, TEST_UNSUBSCRIBE_SECRET, type TestApp } from "../helpers/web.js";

const BASE = "https://mail.example.org";

describe("Personalised messages through a real SMTP server", () => {
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
    const unsubscribe = unsubscribeLinks({
      key: TEST_UNSUBSCRIBE_SECRET,
      baseUrl: BASE,
      mailto: undefined,
      footer: "Unsubscribe: {{unsubscribe_url}}",
    });
    worker = makeWorker(t.database, mailer, config, {
      unsubscribe,
      copies: new TemplateCopies({
        db: t.database.db,
        from: FROM,
        unsubscribe,
        view: new ViewLinks(TEST_UNSUBSCRIBE_SECRET, BASE),
        now: () => new Date(),
      }),
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

  it("sends each recipient their own multipart copy: parts, charsets, inlined CSS, encoded To, working links", async () => {
    const seeded = await seedMailing(t.database.db, {
      recipients: ["ivan@example.com", "ann@example.com"],
      message: {
        subject: "{{ recipient.first_name | default: 'Friend' }}, news for {{ mailing.name }}",
        body: "# Hi {{ recipient.full_name }}\n\nRead [more](https://example.com/more).",
      },
    });
    const layout = await t.database.db
      .selectFrom("layouts")
      .select("id")
      .where("owner_id", "is", null)
      .executeTakeFirstOrThrow();
    await t.database.db
      .updateTable("messages")
      .set({ format: "markdown", layout_id: layout.id })
      .where("id", "=", seeded.message.id)
      .execute();
    const [ivan, ann] = seeded.recipients;
    // A custom field, read by the template as recipient.fields.city.
    const field = await t.database.db
      .insertInto("custom_fields")
      .values({
        owner_id: seeded.user.id,
        key: "city",
        label: "City",
        type: "text",
        created_at: new Date().toISOString(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.database.db
      .insertInto("recipient_fields")
      .values({ recipient_id: ivan!.id, field_id: field.id, value_text: "Казань", value_number: null })
      .execute();
    await t.database.db
      .updateTable("messages")
      .set({
        body: "# Hi {{ recipient.full_name }}\n\nNews for {{ recipient.fields.city | default: 'everyone' }}.\n\nRead [more](https://example.com/more).",
      })
      .where("id", "=", seeded.message.id)
      .execute();
    await t.database.db
      .updateTable("recipients")
      .set({ full_name: "Иван Иванович Сидоров" })
      .where("id", "=", ivan!.id)
      .execute();
    await t.database.db
      .updateTable("recipients")
      .set({ full_name: "<img src=x onerror=alert(1)>" })
      .where("id", "=", ann!.id)
      .execute();

    startWorker();
    const run = await sendRun(seeded.mailing.id, seeded.user.id);
    expect(run.status).toBe("success");
    expect(smtp.received).toHaveLength(2);

    const parsed = await Promise.all(smtp.received.map((m) => PostalMime.parse(m.raw)));
    const toIvan = parsed.find((p) => p.to?.[0]?.address === "ivan@example.com")!;
    const toAnn = parsed.find((p) => p.to?.[0]?.address === "ann@example.com")!;
    const rawIvan = smtp.received.find((m) => m.to.includes("ivan@example.com"))!.raw;
    expect(rawIvan).toMatch(/^To: =\?UTF-8\?Q\?/m);
    expect(rawIvan).toMatch(/Content-Type: multipart\/alternative; boundary=/);
    expect(rawIvan).toMatch(/Content-Type: text\/plain; charset=utf-8/);
    expect(rawIvan).toMatch(/Content-Type: text\/html; charset=utf-8/);
    expect(toIvan.to?.[0]?.name).toBe("Иван Иванович Сидоров");
    expect(toIvan.subject).toBe(`Иван, news for ${seeded.mailing.name}`);
    expect(toAnn.subject).toBe(`<img, news for ${seeded.mailing.name}`);
    expect(toIvan.html).toContain("Hi Иван Иванович Сидоров");
    expect(toIvan.html).toMatch(/<h1 style="[^"]*font-size: 24px/);
    expect(toIvan.text).toContain("Hi Иван Иванович Сидоров");
    expect(toIvan.text).toContain("more [https://example.com/more]");
    expect(toIvan.text).toContain("News for Казань.");
    expect(toAnn.text).toContain("News for everyone.");
    expect(toAnn.html).toContain("Hi &lt;img src=x onerror=alert(1)&gt;");
    expect(toAnn.html).not.toContain("<img src=x");

    // The links are the copy's own: unsubscribe (the one-click page) and the hosted copy.
    const deliveries = await deliveriesOf(t.database, run.id);
    const ivanDelivery = deliveries.find((d) => d.email === "ivan@example.com")!;
    const unsubscribe = `${BASE}/u/${t.services.unsubscribe.tokenFor(ivanDelivery.id)}`;
    expect(toIvan.html).toContain(`href="${unsubscribe}"`);
    expect(toIvan.text).toContain(`Unsubscribe: ${unsubscribe}`);
    expect(rawIvan).toContain(`List-Unsubscribe: <${unsubscribe}>`);
    const viewHref = /href="(https:\/\/mail\.example\.org\/v\/[^"]+)"/.exec(toIvan.html ?? "")?.[1];
    expect(viewHref).toBeDefined();
    const hosted = await t.app.inject({ method: "GET", url: viewHref!.slice(BASE.length) });
    expect(hosted.statusCode).toBe(200);
    expect(hosted.headers["content-security-policy"]).toMatch(/^sandbox;/);
    expect(hosted.body).toContain("Hi Иван Иванович Сидоров");
    const page = await t.app.inject({ method: "GET", url: unsubscribe.slice(BASE.length) });
    expect(page.statusCode).toBe(200);
    const wrong = await t.app.inject({
      method: "GET",
      url: `/v/${t.services.unsubscribe.tokenFor(ivanDelivery.id)}`,
    });
    expect(wrong.statusCode).toBe(404);
  });

  it("a plain-text message without Liquid keeps the stamped copy, with the recipient's name in To", async () => {
    const seeded = await seedMailing(t.database.db, {
      recipients: ["ivan@example.com"],
      message: { subject: "Plain", body: "Just text. {{unsubscribe_url}}" },
    });
    await t.database.db.updateTable("recipients").set({ full_name: "Ivan Petrov" }).execute();
    startWorker();
    const run = await sendRun(seeded.mailing.id, seeded.user.id);
    expect(run.status).toBe("success");
    const raw = smtp.received[0]!.raw;
    expect(raw).toContain('To: "Ivan Petrov" <ivan@example.com>');
    expect(raw).not.toContain("multipart");
    const parsed = await PostalMime.parse(raw);
    expect(parsed.text).toMatch(/^Just text\. https:\/\/mail\.example\.org\/u\//);
  });
});
