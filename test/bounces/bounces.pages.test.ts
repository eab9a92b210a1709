import { describe, expect, it } from "vitest";
import { parseReport } from "../../src/bounces/dsn.js";
import { apiClient } from "../api/support.js";
import { seedMailing } from "../helpers/fixtures.js";
import { build, setupAdmin } from "../helpers/web.js";
import { reportAbout, sendRun } from "./support.js";

describe("run page: bounced deliveries", () => {
  it('shows "bounced" with the DSN\'s status and diagnostic text, escaped; the status stays sent', async () => {
    const { app, database, services } = await build();
    const admin = await setupAdmin(app);
    const seeded = await seedMailing(database.db, { recipients: ["nobody@example.com", "ok@example.com"] });
    const { run, deliveries } = await sendRun(database, seeded.mailing.id, seeded.user.id);
    const target = deliveries.find((d) => d.email === "nobody@example.com")!;
    const dsn = reportAbout(
      "postfix-unknown-user.eml",
      target.message_id!,
      "nobody@example.com",
      "nobody@example.com",
    ).replace("User unknown in virtual mailbox table", "User <b>unknown</b> & gone");
    await services.bounces.processReport(await parseReport(dsn));

    const page = await admin.get(`/runs/${run.id}`);
    expect(page.statusCode).toBe(200);
    const bounces = [
      ...page.body.matchAll(/<div class="bounce[^"]*" data-bounce="(\w+)">([\s\S]*?)<\/div>\s*<\/div>/g),
    ];
    expect(bounces).toHaveLength(1);
    expect(bounces[0]![1]).toBe("hard");
    const html = bounces[0]![2]!;
    expect(html).toContain("bounced");
    expect(html).toContain('<code class="ms-1">5.1.1</code>');
    expect(html).toContain("User &lt;b>unknown&lt;/b> &amp; gone");
    expect(page.body).not.toContain("<b>unknown</b>");
    expect(page.body).toMatch(/text-bg-success"[^>]*>sent<\/span><div class="bounce/);
  });
});

describe("run page, reports and API: bounced and unsubscribed counts", () => {
  it("counts each bounced delivery once (a complaint moves it to unsubscribed) per run and per month", async () => {
    const t = await build();
    const { app, database, services } = t;
    const admin = await setupAdmin(app);
    const seeded = await seedMailing(database.db, {
      recipients: ["nobody@example.com", "full@example.net", "ok@example.com"],
    });
    const { run, deliveries } = await sendRun(database, seeded.mailing.id, seeded.user.id);
    const by = (email: string) => deliveries.find((d) => d.email === email)!;
    const hard = reportAbout(
      "postfix-unknown-user.eml",
      by("nobody@example.com").message_id!,
      "nobody@example.com",
      "nobody@example.com",
    );
    await services.bounces.processReport(await parseReport(hard));
    await services.bounces.processReport(await parseReport(hard)); // a duplicate counts nothing
    const soft = reportAbout(
      "postfix-mailbox-full.eml",
      by("full@example.net").message_id!,
      "full@example.net",
      "full@example.net",
    );
    await services.bounces.processReport(await parseReport(soft));
    await services.unsubscribe.unsubscribe(services.unsubscribe.tokenFor(by("ok@example.com").id), "page");
    const counts = async () =>
      database.db
        .selectFrom("runs")
        .select(["bounced_count", "unsubscribed_count"])
        .where("id", "=", run.id)
        .executeTakeFirstOrThrow();
    expect(await counts()).toEqual({ bounced_count: 2, unsubscribed_count: 1 });
    // full@example.net complains after its soft bounce: no longer bounced, now unsubscribed.
    await services.bounces.process({
      type: "complaint",
      email: "full@example.net",
      status: null,
      text: "Complaint (abuse)",
      deliveryId: by("full@example.net").id,
      trustDelivery: true,
    });
    expect(await counts()).toEqual({ bounced_count: 1, unsubscribed_count: 2 });

    const page = await admin.get(`/runs/${run.id}`);
    expect(page.body).toContain('<span data-report="bounced">1</span> bounced');
    expect(page.body).toContain('<span data-report="unsubscribed">2</span> unsubscribed');
    const reports = await admin.get("/reports?user=all");
    expect(reports.body).toMatch(/data-col="bounced" data-label="Bounced">\s*1\s*</);
    expect(reports.body).toMatch(/data-col="unsubscribed" data-label="Unsubscribed">\s*2\s*</);
    const [month] = await services.delivery.report(null);
    expect(month).toMatchObject({ bounced: 1, unsubscribed: 2 });
    const api = await apiClient(t, seeded.user);
    expect((await api.call("GET", `/runs/${run.id}`)).json()).toMatchObject({
      bounced_count: 1,
      unsubscribed_count: 2,
    });
  });
});
