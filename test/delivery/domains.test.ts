/** Per-domain throttling: limits per recipient domain, and a domain that asks to slow down is slowed alone. */
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { DomainGate, isSlowDown, parseDomainLimits } from "../../src/delivery/domains.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import {
  deliveriesOf,
  eventually,
  fastConfig,
  finishedRun,
  makeScheduler,
  makeWorker,
  smtpMailer,
} from "./support.js";

describe("domain limits", () => {
  it("parses SEND_DOMAIN_LIMITS and names what is wrong", () => {
    expect(parseDomainLimits("gmail.com=20/s:5, Outlook.com=10/s")).toEqual({
      "gmail.com": { rate: 20, concurrent: 5 },
      "outlook.com": { rate: 10, concurrent: Infinity },
    });
    expect(() => parseDomainLimits("gmail.com=fast")).toThrow(/gmail.com=fast/);
    expect(() => parseDomainLimits("gmail.com=0/s")).toThrow(/N > 0/);
    expect(() => parseConfig({ SEND_DOMAIN_LIMITS: "x=1/s:0" })).toThrow(/SEND_DOMAIN_LIMITS/);
    const config = parseConfig({ SEND_DOMAIN_LIMITS: "gmail.com=2/s:1,example.org=7/s" });
    expect(config.send.domainLimits["gmail.com"]).toEqual({ rate: 2, concurrent: 1 });
    expect(config.send.domainLimits["example.org"]).toEqual({ rate: 7, concurrent: Infinity });
    // The defaults for the big providers stay unless overridden.
    expect(config.send.domainLimits["outlook.com"]).toEqual({ rate: 10, concurrent: 3 });
  });

  it("knows a slow-down reply", () => {
    expect(isSlowDown(421, null)).toBe(true);
    expect(isSlowDown(451, "4.7.0")).toBe(true);
    expect(isSlowDown(450, "4.2.1")).toBe(false);
    expect(isSlowDown(451, null)).toBe(false);
  });

  it("paces a domain by its rate and its messages in flight; others are not held", () => {
    const gate = new DomainGate({ "slow.test": { rate: 2, concurrent: 1 } });
    expect(gate.waitMs("slow.test", 0)).toBe(0);
    gate.started("slow.test", 0);
    expect(gate.waitMs("slow.test", 0)).toBeGreaterThan(0); // one in flight
    gate.finished("slow.test");
    expect(gate.waitMs("slow.test", 100)).toBe(400); // 2/s: the next at 500 ms
    expect(gate.waitMs("fast.test", 100)).toBe(0);
    gate.started("fast.test", 100);
    gate.started("fast.test", 100);
    expect(gate.waitMs("fast.test", 100)).toBe(0);
  });

  it("halves a domain's rate on a slow-down and recovers it slowly", () => {
    const gate = new DomainGate({ "slow.test": { rate: 8, concurrent: Infinity } });
    gate.slowDown("slow.test", 0);
    expect(gate.rateOf("slow.test", 0)).toBe(4);
    expect(gate.slowed("slow.test", 0)).toBe(true);
    // Replies to messages already on their way say nothing new.
    gate.slowDown("slow.test", 10);
    expect(gate.rateOf("slow.test", 10)).toBe(4);
    gate.slowDown("slow.test", 900);
    expect(gate.rateOf("slow.test", 900)).toBe(4);
    gate.slowDown("slow.test", 1_900);
    expect(gate.rateOf("slow.test", 1_900)).toBe(2);
    expect(gate.rateOf("slow.test", 11_900)).toBe(2.5);
    expect(gate.slowed("slow.test", 40_000)).toBe(true);
    expect(gate.rateOf("slow.test", 80_000)).toBe(8);
    expect(gate.slowed("slow.test", 80_000)).toBe(false);
  });

  it("gives a domain without a limit one on its first slow-down: half of its last second", () => {
    const gate = new DomainGate({});
    for (let i = 0; i < 12; i++) gate.started("big.test", i * 50);
    expect(gate.rateOf("big.test", 600)).toBe(Infinity);
    gate.slowDown("big.test", 600);
    expect(gate.rateOf("big.test", 600)).toBe(6);
  });
});

describe("a domain that throttles us", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("is slowed down and completes; the other domain is not held up and the breaker never pauses", async () => {
    const database = await testDatabase();
    cleanup.push(() => database.close());
    const smtp = await TestSmtpServer.start();
    cleanup.push(() => smtp.close());
    smtp.domainRates.set("slow.test", { perSecond: 10, accepted: [], throttled: 0 });
    const slow = Array.from({ length: 40 }, (_, i) => `s${i}@slow.test`);
    const fast = Array.from({ length: 200 }, (_, i) => `f${i}@fast.test`);
    // Interleaved, so the slow domain's deliveries sit among the fast ones in every claimed batch.
    const emails = fast.flatMap((f, i) => (i < slow.length ? [slow[i]!, f] : [f]));
    await seedMailing(database.db, { recipients: emails });
    const [runId] = (await makeScheduler(database).tick()).created;

    const config = fastConfig({ concurrency: 4, batchSize: 20, domainLimits: {} });
    const mailer = smtpMailer(smtp.url, config);
    const worker = makeWorker(database, mailer, config);
    cleanup.push(async () => {
      await worker.stop();
      await mailer.close();
    });
    let paused = false;
    const watch = setInterval(() => {
      if (worker.status().state !== "closed") paused = true;
    }, 5);
    cleanup.push(() => clearInterval(watch));
    worker.start();
    const run = await finishedRun(database, runId!, 60_000);

    expect(run).toMatchObject({ status: "success", sent_count: 240 });
    const counts = smtp.counts();
    for (const email of emails) expect(counts.get(email)).toBe(1);
    expect(smtp.domainRates.get("slow.test")!.throttled).toBeGreaterThan(0);
    expect(paused).toBe(false);
    // The fast domain was done while the slow one was still being paced.
    const order = smtp.received.map((m) => m.to[0]!);
    const lastFast = order.findLastIndex((to) => to.endsWith("@fast.test"));
    const slowBeforeLastFast = order.slice(0, lastFast).filter((to) => to.endsWith("@slow.test")).length;
    expect(slowBeforeLastFast).toBeLessThan(slow.length);
    const rows = await deliveriesOf(database, runId!);
    expect(rows.filter((d) => d.status === "sent")).toHaveLength(240);
    // The worker reports the domain it slows down with its heartbeat (the run page and API show it).
    const details = await eventually(async () => {
      const row = await database.db.selectFrom("delivery_workers").select("details").executeTakeFirst();
      return row?.details?.includes("slow.test") ? JSON.parse(row.details) : undefined;
    });
    expect(details.slowedDomains[0]).toMatchObject({ domain: "slow.test" });
    expect(details.slowedDomains[0].rate).toBeLessThan(10);
    expect(JSON.stringify(details)).not.toContain("fast.test");
  }, 90_000);
});
