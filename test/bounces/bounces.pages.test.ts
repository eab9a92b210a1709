import { describe, expect, it } from "vitest";
import { parseReport } from "../../src/bounces/dsn.js";
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
    expect(page.body).toMatch(/text-bg-success">sent<\/span><div class="bounce/);
  });
});
