import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BounceService } from "../../src/bounces/bounces.service.js";
import { IncomingMailService } from "../../src/bounces/incoming.service.js";
import { VerpTokens, verpReturnPath } from "../../src/bounces/verp.js";
import type { Database } from "../../src/db/database.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import type { DeliveryWorker } from "../../src/delivery/worker.js";
import { UnsubscribeService } from "../../src/suppression/unsubscribe.service.js";
import { unsubscribeLinks } from "../../src/suppression/unsubscribe-links.js";
import { UnsubscribeTokens } from "../../src/suppression/unsubscribe-token.js";
import { deliveriesOf, fastConfig, finishedRun, makeWorker, smtpMailer } from "../delivery/support.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { fixture } from "./support.js";

const KEY = "k".repeat(40);

describe(VerpTokens.name, () => {
  const sut = new VerpTokens(KEY);

  it("names its delivery in a short lower-case token, read back whatever the case", () => {
    const token = sut.tokenFor(123456);
    expect(token).toMatch(/^[0-9a-z]+-[0-9a-f]{20}$/);
    expect(token.length).toBeLessThanOrEqual(25);
    expect(sut.deliveryOf(`bounces+${token}@example.com`)).toBe(123456);
    expect(sut.deliveryOf(`BOUNCES+${token.toUpperCase()}@EXAMPLE.COM`)).toBe(123456);
  });

  it("refuses a changed id or MAC, another key's token, and addresses without one", () => {
    const token = sut.tokenFor(5);
    const [id, mac] = token.split("-") as [string, string];
    expect(sut.deliveryOf(`b+6-${mac}@x.org`)).toBeNull();
    expect(sut.deliveryOf(`b+${id}-${mac.replace(/.$/, (c) => (c === "0" ? "1" : "0"))}@x.org`)).toBeNull();
    expect(new VerpTokens("o".repeat(40)).deliveryOf(`b+${token}@x.org`)).toBeNull();
    expect(sut.deliveryOf("bounces@example.com")).toBeNull();
    expect(sut.deliveryOf(`b+0-${mac}@x.org`)).toBeNull();
  });

  it("makes each delivery's envelope sender from SMTP_RETURN_PATH", () => {
    const returnPath = verpReturnPath(sut, "bounces@example.com");
    expect(returnPath.envelopeFor(42)).toBe(`bounces+${sut.tokenFor(42)}@example.com`);
  });
});

describe("VERP and the unsubscribe mailto, end to end", () => {
  let database: Database;
  let smtp: TestSmtpServer;
  let worker: DeliveryWorker | undefined;
  const verp = new VerpTokens(KEY);
  const unsubscribe = () => new UnsubscribeService(database, new UnsubscribeTokens(KEY));
  const incoming = () =>
    new IncomingMailService(new BounceService(database, { hardLimit: 1, softLimit: 3, verp }), unsubscribe());

  beforeEach(async () => {
    database = await testDatabase();
    smtp = await TestSmtpServer.start();
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await smtp.close();
    await database.close();
  });

  async function send(emails: string[]) {
    const seeded = await seedMailing(database.db, { recipients: emails });
    const config = fastConfig();
    worker = makeWorker(database, smtpMailer(smtp.url, config), config, {
      returnPath: verpReturnPath(verp, "bounces@example.com"),
      unsubscribe: unsubscribeLinks({
        key: KEY,
        baseUrl: "https://mail.example.org",
        mailto: "unsubscribe@example.org",
        footer: "Unsubscribe: {{unsubscribe_url}}",
      }),
    });
    worker.start();
    const created = await new KyselyRunsStore(database).createRun({
      mailingId: seeded.mailing.id,
      trigger: "web",
      actorUserId: seeded.user.id,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    if (!("run" in created)) throw new Error(created.skipped);
    await finishedRun(database, created.run.id);
    return { ...seeded, deliveries: await deliveriesOf(database, created.run.id) };
  }

  it("sends each copy from its own VERP address, and a DSN quoting nothing is matched by it", async () => {
    const s = await send(["gone@example.com", "ok@example.com"]);
    const gone = s.deliveries.find((d) => d.email === "gone@example.com")!;
    const copy = smtp.received.find((m) => m.to.includes("gone@example.com"))!;
    expect(copy.from).toBe(`bounces+${verp.tokenFor(gone.id)}@example.com`);
    const other = smtp.received.find((m) => m.to.includes("ok@example.com"))!;
    expect(other.from).not.toBe(copy.from);

    // A DSN that returns no part of the message, and names a rewritten address (a forward): only VERP finds it.
    const dsn = fixture("postfix-unknown-user.eml")
      .replaceAll("postpilot@example.org", copy.from)
      .replaceAll("nobody@example.com", "forwarded@elsewhere.example")
      .replace(/Message-ID: <postpilot\.12\.345@example\.org>/gi, "Message-ID: <other@example.org>");
    const result = await incoming().process(Buffer.from(dsn));
    expect(result).toMatchObject({
      kind: "bounce",
      outcomes: [{ result: "recorded", deliveryId: gone.id, email: "gone@example.com", suppressed: true }],
    });
    const suppressed = await database.db.selectFrom("suppressions").selectAll().execute();
    expect(suppressed).toMatchObject([
      { email: "gone@example.com", reason: "hard_bounce", delivery_id: gone.id },
    ]);

    // Given as the envelope recipient (process-bounce --recipient) it is found the same way.
    const okDelivery = s.deliveries.find((d) => d.email === "ok@example.com")!;
    const bare = fixture("postfix-unknown-user.eml")
      .replaceAll("nobody@example.com", "ok@example.com")
      .replace(/Message-ID: <postpilot\.12\.345@example\.org>/gi, "Message-ID: <x@example.org>");
    expect(await incoming().process(Buffer.from(bare), other.from)).toMatchObject({
      outcomes: [{ result: "recorded", deliveryId: okDelivery.id }],
    });
  });

  it("unsubscribes the delivery whose per-copy mailto address a message came to (source mailto)", async () => {
    const s = await send(["anna@example.com"]);
    const anna = s.deliveries[0]!;
    const copy = smtp.received[0]!;
    const mailto = /<mailto:([^?>]+)\?subject=unsubscribe>/.exec(copy.raw.replace(/\r\n /g, " "))?.[1];
    const token = new UnsubscribeTokens(KEY).tokenFor(anna.id);
    expect(mailto).toBe(`unsubscribe+${token}@example.org`);

    const mail = (to: string) =>
      Buffer.from(`From: anna@example.com\r\nTo: ${to}\r\nSubject: unsubscribe\r\n\r\nPlease stop.\r\n`);
    expect(await incoming().process(mail(mailto!))).toMatchObject({ kind: "unsubscribe", state: "done" });
    expect(await database.db.selectFrom("suppressions").selectAll().execute()).toMatchObject([
      { email: "anna@example.com", reason: "unsubscribed", source: "mailto", delivery_id: anna.id },
    ]);
    expect(await database.db.selectFrom("unsubscribes").selectAll().execute()).toMatchObject([
      { delivery_id: anna.id, source: "mailto" },
    ]);
    expect(await incoming().process(mail(mailto!))).toMatchObject({ kind: "unsubscribe", state: "used" });
    const forged = `unsubscribe+${token.slice(0, -2)}xx@example.org`;
    expect(await incoming().process(mail(forged))).toMatchObject({ kind: "unsubscribe", state: "invalid" });
    expect(await incoming().process(mail("someone@example.org"))).toMatchObject({ kind: "ignored" });
  });
});
