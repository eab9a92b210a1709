/** Several relays (SMTP_RELAYS): spread by weight, a down relay's share moves to the others until it is back. */
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import type { SendOutcome } from "../../src/delivery/classify.js";
import type { Mailer, OutgoingMail } from "../../src/delivery/ports.js";
import { parseRelays, RelaysMailer } from "../../src/delivery/relays.mailer.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { eventually, fastConfig, finishedRun, makeScheduler, makeWorker, smtpMailer } from "./support.js";

const mail: OutgoingMail = {
  deliveryId: 1,
  from: "a@example.com",
  fromHeader: "a@example.com",
  to: "b@example.com",
  subject: "s",
  raw: Buffer.from("x"),
};

/** A mailer that answers as told and counts what it was given. */
function fake(name: string) {
  const m = {
    sent: 0,
    down: false,
    kind: "smtp" as const,
    async send(): Promise<SendOutcome> {
      if (m.down) {
        return { ok: false, stage: "connect", relay: name, errorCode: "ECONNREFUSED", message: "refused" };
      }
      m.sent++;
      return { ok: true, stage: "data", relay: name, response: "250 ok", responseCode: 250 };
    },
    async close() {},
  };
  return m satisfies Mailer;
}

describe("SMTP_RELAYS", () => {
  it("parses weights and never repeats a relay's URL in its error", () => {
    expect(parseRelays("3*smtp://a:587, smtps://u:p@b:465")).toEqual([
      { url: "smtp://a:587", weight: 3 },
      { url: "smtps://u:p@b:465", weight: 1 },
    ]);
    expect(() => parseConfig({ SMTP_RELAYS: "smtp://a:587,ftp://user:hunter2@b" })).toThrow(/SMTP_RELAYS/);
    expect(() => parseConfig({ SMTP_RELAYS: "ftp://user:hunter2@b" })).not.toThrow(/hunter2/);
    const config = parseConfig({ SMTP_RELAYS: "2*smtp://a:587,smtp://b:25" });
    expect(config.smtp.url).toBe("smtp://a:587");
    expect(config.smtp.relays).toHaveLength(2);
    expect(parseConfig({ SMTP_URL: "smtp://c:25" }).smtp.relays).toEqual([{ url: "smtp://c:25", weight: 1 }]);
  });

  it("spreads by weight, moves a down relay's share to the other, and tries it again later", async () => {
    const a = fake("a:25");
    const b = fake("b:25");
    let now = 0;
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const relays = new RelaysMailer(
      [
        { mailer: a, weight: 3, name: "a:25" },
        { mailer: b, weight: 1, name: "b:25" },
      ],
      random,
      () => now,
    );
    for (let i = 0; i < 400; i++) expect((await relays.send(mail)).ok).toBe(true);
    expect(a.sent / 400).toBeGreaterThan(0.65);
    expect(a.sent / 400).toBeLessThan(0.85);

    a.down = true;
    const before = { a: a.sent, b: b.sent };
    for (let i = 0; i < 100; i++) {
      const outcome = await relays.send(mail);
      expect(outcome).toMatchObject({ ok: true, relay: "b:25" });
    }
    expect(a.sent).toBe(before.a);
    expect(b.sent).toBe(before.b + 100);
    expect(relays.relayStatus()[0]).toMatchObject({ name: "a:25", up: false, lastError: "refused" });

    a.down = false;
    now += 1_000;
    for (let i = 0; i < 100; i++) await relays.send(mail);
    expect(a.sent).toBeGreaterThan(before.a + 50);
    expect(relays.relayStatus()[0]).toMatchObject({ up: true });
  });

  it("parses each relay's own limits, and refuses bad ones", () => {
    expect(parseRelays("2*smtp://a:587;rate=14;connections=4,smtp://b:25;rate=0.5")).toEqual([
      { url: "smtp://a:587", weight: 2, rate: 14, connections: 4 },
      { url: "smtp://b:25", weight: 1, rate: 0.5 },
    ]);
    expect(() => parseRelays("smtp://a:587;rate=fast")).toThrow(/rate=N/);
    expect(() => parseRelays("smtp://a:587;connections=1.5")).toThrow(/connections=N/);
    expect(() => parseRelays("smtp://a:587;speed=3")).toThrow(/limits/);
    expect(() => parseConfig({ SMTP_RELAYS: "smtp://u:hunter2@a:587;rate=0" })).toThrow(/SMTP_RELAYS/);
    expect(() => parseConfig({ SMTP_RELAYS: "smtp://u:hunter2@a:587;rate=0" })).not.toThrow(/hunter2/);
  });

  it("keeps each relay to its own rate: the rest goes to the others", async () => {
    let now = 0;
    const slow = fake("slow:25");
    const fast = fake("fast:25");
    const tick = (m: ReturnType<typeof fake>) => {
      const send = m.send;
      m.send = async () => {
        now += 10; // each message takes 10 ms
        return send();
      };
    };
    tick(slow);
    tick(fast);
    const relays = new RelaysMailer(
      [
        { mailer: slow, weight: 1, name: "slow:25", rate: 10 },
        { mailer: fast, weight: 1, name: "fast:25" },
      ],
      () => 0.1,
      () => now,
      async (ms) => {
        now += ms;
      },
    );
    for (let i = 0; i < 200; i++) expect((await relays.send(mail)).ok).toBe(true);
    // 200 messages at 10 ms each: about two seconds, so the slow relay took about 20 of them, never more.
    expect(slow.sent).toBeGreaterThanOrEqual(15);
    expect(slow.sent).toBeLessThanOrEqual(Math.ceil((now / 1000) * 10) + 1);
    expect(fast.sent).toBe(200 - slow.sent);
  });

  it("when every relay is down, the worker gets the failure", async () => {
    const a = fake("a:25");
    const b = fake("b:25");
    a.down = true;
    b.down = true;
    const relays = new RelaysMailer([
      { mailer: a, weight: 1, name: "a:25" },
      { mailer: b, weight: 1, name: "b:25" },
    ]);
    expect(await relays.send(mail)).toMatchObject({ ok: false, stage: "connect" });
  });
});

describe("two real relays, one goes down mid-run and comes back", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("delivers everything once (beyond what was in flight at the cut) and records the split", async () => {
    const database = await testDatabase();
    cleanup.push(() => database.close());
    const first = await TestSmtpServer.start();
    const second = await TestSmtpServer.start();
    cleanup.push(() => first.close());
    cleanup.push(() => second.close());
    first.delayMs = 2;
    second.delayMs = 2;
    const { recipients } = await seedMailing(database.db, { recipients: 400 });
    const [runId] = (await makeScheduler(database).tick()).created;

    const config = fastConfig({ concurrency: 4 });
    const relays = new RelaysMailer([
      { mailer: smtpMailer(first.url, config), weight: 1, name: `127.0.0.1:${first.port}` },
      { mailer: smtpMailer(second.url, config), weight: 1, name: `127.0.0.1:${second.port}` },
    ]);
    const worker = makeWorker(database, relays, config);
    cleanup.push(async () => {
      await worker.stop();
      await relays.close();
    });
    worker.start();
    await eventually(() => first.received.length >= 50);
    await first.refuse();
    const atCut = first.received.length;
    // The worker reports the down relay with its heartbeat (the Mail relays page shows it).
    await eventually(async () => {
      const row = await database.db.selectFrom("delivery_workers").select("details").executeTakeFirst();
      const relays = row?.details ? (JSON.parse(row.details).relays as { name: string; up: boolean }[]) : [];
      return relays.some((r) => r.name === `127.0.0.1:${first.port}` && !r.up);
    });
    await eventually(() => second.received.length >= 250, { timeoutMs: 30_000 });
    // Nothing new went to the down relay; a message already in its last bytes at the cut may still land.
    expect(first.received.length).toBeLessThanOrEqual(atCut + config.concurrency);
    await first.accept();
    const run = await finishedRun(database, runId!, 60_000);

    expect(run).toMatchObject({ status: "success", sent_count: 400 });
    const total = new Map<string, number>();
    for (const s of [first, second])
      for (const [to, n] of s.counts()) total.set(to, (total.get(to) ?? 0) + n);
    for (const r of recipients) expect(total.get(r.email)).toBeGreaterThanOrEqual(1);
    const twice = [...total.values()].filter((n) => n > 1).length;
    expect(twice).toBeLessThanOrEqual(config.concurrency);
    // Each try's history names the relay that answered: both relays sent some.
    const split = await database.db
      .selectFrom("delivery_attempts")
      .select(["relay", (eb) => eb.fn.countAll<number>().as("n")])
      .where("outcome", "=", "sent")
      .groupBy("relay")
      .execute();
    expect(split.map((r) => r.relay).sort()).toEqual(
      [`127.0.0.1:${first.port}`, `127.0.0.1:${second.port}`].sort(),
    );
  }, 90_000);
});
