/**
 * The delivery promise under faults: each row of the fault table (a misbehaving relay, a database that
 * refuses writes) must lose nothing, send nothing twice beyond what was in flight, and leave every
 * delivery with its final status and text. Relay faults use the fault-injecting server in
 * test/helpers/smtp.ts; database faults are injected at the store (FaultyStore) or are real SQLite ones
 * (a full database, a lock held by another connection).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { KyselyDeliveryStore } from "../../src/delivery/delivery.store.js";
import type { DeliveryResult, EngineConfig, WorkerHeartbeat } from "../../src/delivery/ports.js";
import type { SmtpMailer } from "../../src/delivery/smtp.mailer.js";
import { DeliveryWorker } from "../../src/delivery/worker.js";
import { onPostgres, testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import {
  deliveriesOf,
  eventually,
  FROM,
  fastConfig,
  finishedRun,
  makeScheduler,
  runRow,
  smtpMailer,
} from "./support.js";

/** A store whose writes can be made to fail, as a database that is down, full or refusing a row would. */
class FaultyStore extends KyselyDeliveryStore {
  /** Every write fails (results, leases, heartbeat): the database is down. */
  refuseAll = false;
  /** Only the results fail: the database takes small updates but not the batch. */
  refuseResults = false;
  /** A batch holding a result whose text contains this fails: one bad row. */
  refuseText: string | null = null;
  refusedRecords = 0;

  private check(): void {
    if (this.refuseAll) throw new Error("injected fault: the database is unreachable");
  }

  override async record(workerId: string, results: DeliveryResult[], now: Date): Promise<void> {
    if (
      this.refuseAll ||
      this.refuseResults ||
      (this.refuseText && results.some((r) => r.text.includes(this.refuseText!)))
    ) {
      this.refusedRecords++;
      throw new Error("injected fault: the database refused the write");
    }
    return super.record(workerId, results, now);
  }

  override async renewLeases(workerId: string, until: Date, now: Date): Promise<void> {
    this.check();
    return super.renewLeases(workerId, until, now);
  }

  override async heartbeat(beat: WorkerHeartbeat): Promise<void> {
    this.check();
    return super.heartbeat(beat);
  }

  override async claim(workerId: string, limit: number, now: Date, leaseUntil: Date) {
    this.check();
    return super.claim(workerId, limit, now, leaseUntil);
  }
}

describe("delivery under faults", () => {
  let database: Database;
  let smtp: TestSmtpServer;
  const workers: DeliveryWorker[] = [];
  const mailers: SmtpMailer[] = [];

  beforeEach(async () => {
    database = await testDatabase();
    smtp = await TestSmtpServer.start();
  });

  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    for (const m of mailers.splice(0)) await m.close();
    await smtp.close();
    await database.close();
  });

  async function dueRun(recipients: string[] | number, body?: string) {
    const seeded = await seedMailing(database.db, { recipients, ...(body ? { message: { body } } : {}) });
    const tick = await makeScheduler(database).tick();
    expect(tick.created).toHaveLength(1);
    return { ...seeded, runId: tick.created[0]! };
  }

  function startWorker(
    options: { config?: EngineConfig; store?: KyselyDeliveryStore; url?: string; db?: Database } = {},
  ) {
    const config = options.config ?? fastConfig();
    const mailer = smtpMailer(options.url ?? smtp.url, config);
    const worker = new DeliveryWorker({
      store: options.store ?? new KyselyDeliveryStore(options.db ?? database),
      mailer,
      config,
      from: FROM,
    });
    mailers.push(mailer);
    workers.push(worker);
    worker.start();
    return worker;
  }

  const attemptsOf = (runId: number) =>
    database.db
      .selectFrom("delivery_attempts")
      .selectAll()
      .where("run_id", "=", runId)
      .orderBy("id")
      .execute();

  function expectEachOnce(addresses: string[]) {
    const counts = smtp.counts();
    expect(addresses.filter((a) => counts.get(a) !== 1)).toEqual([]);
  }

  describe("a relay that refuses before the recipient is judged pauses sending; nothing fails", () => {
    const cases: {
      name: string;
      stage: string;
      reply: RegExp;
      breakIt: (s: TestSmtpServer) => void;
      fixIt: (s: TestSmtpServer) => void;
      url?: (s: TestSmtpServer) => string;
    }[] = [
      {
        name: "a wrong SMTP password (535 to AUTH)",
        stage: "auth",
        reply: /535/,
        url: (s) => s.authUrl("postpilot", "wrong"),
        breakIt: (s) => {
          s.requireAuth = true;
        },
        fixIt: (s) => {
          s.credentials = { user: "postpilot", pass: "wrong" };
        },
      },
      {
        name: "a 554 greeting",
        stage: "greeting",
        reply: /554/,
        breakIt: (s) => {
          s.greetingReply = { code: 554, message: "5.3.2 Service unavailable" };
        },
        fixIt: (s) => {
          s.greetingReply = null;
        },
      },
      {
        name: "530 to MAIL FROM",
        stage: "mail",
        reply: /530/,
        breakIt: (s) => {
          s.mailFromReply = { code: 530, message: "5.7.0 Authentication required" };
        },
        fixIt: (s) => {
          s.mailFromReply = null;
        },
      },
    ];

    for (const c of cases) {
      it(`${c.name}: the banner names the reply, no try is used, all go out once it is fixed`, async () => {
        c.breakIt(smtp);
        const { runId, mailing, recipients } = await dueRun(40);
        const worker = startWorker({ url: c.url?.(smtp) ?? smtp.url });

        const paused = await eventually(() =>
          database.db
            .selectFrom("delivery_workers")
            .selectAll()
            .where("state", "=", "paused")
            .executeTakeFirst(),
        );
        expect(paused.reason).toMatch(c.reply);
        expect(worker.status().state).not.toBe("closed");
        const during = await deliveriesOf(database, runId);
        expect(during.filter((d) => d.status === "failed")).toEqual([]);
        expect(during.every((d) => d.tries === 0)).toBe(true);
        expect((await runRow(database, runId)).status).toBe("sending");
        // The heartbeat can be written before the lanes' results: wait for the tries to be on record.
        const tried = await eventually(async () => {
          const rows = await attemptsOf(runId);
          return rows.length > 0 ? rows : undefined;
        });
        expect(tried.every((a) => a.outcome === "relay" && a.stage === c.stage)).toBe(true);

        c.fixIt(smtp);
        const run = await finishedRun(database, runId);
        expect(run.status).toBe("success");
        expectEachOnce(recipients.map((r) => r.email));
        const after = await deliveriesOf(database, runId);
        expect(after.every((d) => d.status === "sent" && d.tries === 1)).toBe(true);
        const row = await database.db
          .selectFrom("mailings")
          .select("status")
          .where("id", "=", mailing.id)
          .executeTakeFirstOrThrow();
        expect(row.status).toBe("completed");
      });
    }
  });

  it("452 4.5.3 after 20 per connection: retries go out on fresh connections and cost no try", async () => {
    smtp.tooManyRecipientsAfter = 20;
    const { runId, recipients } = await dueRun(300);
    startWorker({ config: fastConfig({ maxTries: 2 }) });
    const run = await finishedRun(database, runId);

    expect(run.status).toBe("success");
    expectEachOnce(recipients.map((r) => r.email));
    const deliveries = await deliveriesOf(database, runId);
    expect(deliveries.every((d) => d.status === "sent" && d.tries === 1)).toBe(true);
    expect(smtp.connections).toBeGreaterThanOrEqual(15);
    const refused = (await attemptsOf(runId)).filter((a) => a.code === 452);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((a) => a.outcome === "relay" || a.outcome === "retry")).toBe(true);
  });

  it("a message the server drops mid-DATA fails after SEND_MAX_TRIES; another mailing is not held up", async () => {
    smtp.dropDataContaining.add("CHOKE-ON-THIS");
    const config = fastConfig({ maxTries: 3, breaker: { threshold: 3, baseMs: 50, maxMs: 400 } });
    const bad = await dueRun(["a1@bad.test", "a2@bad.test", "a3@bad.test", "a4@bad.test"], "CHOKE-ON-THIS");
    const good = await dueRun(
      Array.from({ length: 60 }, (_, i) => `g${i}@good.test`),
      "A message the server takes.",
    );
    const worker = startWorker({ config });

    const badRun = await finishedRun(database, bad.runId);
    const goodRun = await finishedRun(database, good.runId);
    expect(goodRun.status).toBe("success");
    expectEachOnce(good.recipients.map((r) => r.email));
    expect(badRun.status).toBe("failure");
    const failed = await deliveriesOf(database, bad.runId);
    expect(failed.every((d) => d.status === "failed" && d.tries === 3)).toBe(true);
    expect(failed[0]!.last_text).toMatch(/gave up after 3 tries/);
    const tries = await attemptsOf(bad.runId);
    expect(tries).toHaveLength(12);
    expect(tries.every((a) => a.stage === "data")).toBe(true);
    expect(worker.status().state).toBe("closed");
  });

  it("replies with NUL and control characters are stored cleaned, and nobody is mailed twice", async () => {
    smtp.rawReplies.set("r1@example.test", { at: "rcpt", line: "550 5.1.1 no\u0000such\u0007user" });
    smtp.rawReplies.set("r2@example.test", { at: "data", line: "250 2.0.0 queued\u0000as\u001bABC" });
    const { runId, recipients } = await dueRun(30);
    startWorker();
    const run = await finishedRun(database, runId);

    expect([run.sent_count, run.failed_count]).toEqual([29, 1]);
    const deliveries = await deliveriesOf(database, runId);
    const r1 = deliveries.find((d) => d.email === "r1@example.test")!;
    const r2 = deliveries.find((d) => d.email === "r2@example.test")!;
    expect(r1).toMatchObject({ status: "failed", last_code: 550, last_enhanced: "5.1.1" });
    expect(r1.last_text).toBe("550 5.1.1 no\ufffdsuch\ufffduser");
    expect(r2).toMatchObject({ status: "sent", last_code: 250 });
    expect(r2.last_text).toBe("250 2.0.0 queued\ufffdas\ufffdABC");
    const others = recipients.map((r) => r.email).filter((e) => e !== "r1@example.test");
    expectEachOnce(others);
    expect(smtp.counts().get("r1@example.test")).toBeUndefined();
  });

  it("one row the database refuses is retried alone; the others are recorded; nothing is sent twice", async () => {
    smtp.rawReplies.set("r7@example.test", { at: "data", line: "250 2.0.0 Ok POISON-ROW" });
    const store = new FaultyStore(database);
    store.refuseText = "POISON-ROW";
    const { runId, recipients } = await dueRun(50);
    startWorker({ store });
    const run = await finishedRun(database, runId);

    expect(run.status).toBe("success");
    expectEachOnce(recipients.map((r) => r.email));
    expect(store.refusedRecords).toBeGreaterThan(0);
    const r7 = (await deliveriesOf(database, runId)).find((d) => d.email === "r7@example.test")!;
    expect(r7.status).toBe("sent");
    expect(r7.last_text).toMatch(/could not be stored/);
  });

  it("while results cannot be written nothing more is sent; leases are kept; it resumes by itself", async () => {
    const store = new FaultyStore(database);
    const config = fastConfig({ concurrency: 4, batchSize: 20 });
    smtp.delayMs = 20;
    const { runId, recipients } = await dueRun(80);
    const worker = startWorker({ store, config });
    await eventually(() => smtp.received.length >= 10);

    store.refuseResults = true;
    await eventually(() => store.refusedRecords >= 1);
    const atBlock = smtp.received.length;
    const refusedAtBlock = store.refusedRecords;
    // Let the worker retry its write several times: it must not send anything new meanwhile.
    await eventually(() => store.refusedRecords >= refusedAtBlock + 10);
    expect(smtp.received.length - atBlock).toBeLessThanOrEqual(config.concurrency);
    const held = await database.db
      .selectFrom("deliveries")
      .select(["lease_owner", "lease_expires_at"])
      .where("run_id", "=", runId)
      .where("status", "=", "sending")
      .execute();
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((d) => d.lease_owner === worker.id)).toBe(true);
    const beat = await database.db.selectFrom("delivery_workers").selectAll().executeTakeFirstOrThrow();
    expect(beat.state).toBe("paused");
    expect(beat.reason).toMatch(/cannot be written/);

    store.refuseResults = false;
    const run = await finishedRun(database, runId);
    expect(run.status).toBe("success");
    expectEachOnce(recipients.map((r) => r.email));
  });

  it("with the database down, a second worker does not take the first one's claims when it comes back", async () => {
    const first = new FaultyStore(database);
    const second = new FaultyStore(database);
    const config = fastConfig({ concurrency: 4, batchSize: 10, staleAfterMs: 600 });
    smtp.delayMs = 10;
    const { runId, recipients } = await dueRun(60);
    startWorker({ store: first, config });
    await eventually(() => smtp.received.length >= 5);
    first.refuseAll = true;
    second.refuseAll = true;
    startWorker({ store: second, config });
    await eventually(() => first.refusedRecords >= 5);
    first.refuseAll = false;
    second.refuseAll = false;

    const run = await finishedRun(database, runId);
    expect(run.status).toBe("success");
    expectEachOnce(recipients.map((r) => r.email));
  });
});

describe.skipIf(onPostgres)("delivery under SQLite faults (a file database)", () => {
  let dir: string;
  let database: Database;
  let smtp: TestSmtpServer;
  const workers: DeliveryWorker[] = [];
  const mailers: SmtpMailer[] = [];

  beforeEach(async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const { Database } = await import("../../src/db/database.js");
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-faults-"));
    database = Database.sqlite(path.join(dir, "db.sqlite"));
    await database.migrateToLatest();
    smtp = await TestSmtpServer.start();
  });

  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    for (const m of mailers.splice(0)) await m.close();
    await smtp.close();
    await database.close();
    const { rmSync } = await import("node:fs");
    rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(config = fastConfig()) {
    const mailer = smtpMailer(smtp.url, config);
    const worker = new DeliveryWorker({
      store: new KyselyDeliveryStore(database),
      mailer,
      config,
      from: FROM,
    });
    mailers.push(mailer);
    workers.push(worker);
    worker.start();
    return worker;
  }

  async function dueRun(recipients: number) {
    const seeded = await seedMailing(database.db, { recipients });
    const tick = await makeScheduler(database).tick();
    return { ...seeded, runId: tick.created[0]! };
  }

  it("disk full: stops sending while it cannot record, loses nothing, and sends nothing twice after a restart", async () => {
    const { sql } = await import("kysely");
    const config = fastConfig({ concurrency: 4, batchSize: 20 });
    smtp.delayMs = 5;
    const { runId, recipients } = await dueRun(200);
    const first = startWorker(config);
    await eventually(() => smtp.received.length >= 20);

    const pages = await sql<{ page_count: number }>`pragma page_count`.execute(database.db);
    await sql.raw(`pragma max_page_count = ${pages.rows[0]!.page_count}`).execute(database.db);
    await eventually(() =>
      database.db.selectFrom("delivery_workers").selectAll().where("state", "=", "paused").executeTakeFirst(),
    );
    const atFull = smtp.received.length;
    const recorded = await database.db
      .selectFrom("deliveries")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("run_id", "=", runId)
      .where("status", "=", "sent")
      .executeTakeFirstOrThrow();
    // What was accepted but not recorded is at most what the lanes had in flight.
    expect(atFull - Number(recorded.n)).toBeLessThanOrEqual(config.concurrency);

    // A restart while the disk is still full, then the space comes back.
    await first.stop();
    workers.splice(workers.indexOf(first), 1);
    await sql.raw("pragma max_page_count = 1073741823").execute(database.db);
    startWorker(config);
    const run = await finishedRun(database, runId);
    expect(run.status).toBe("success");
    const counts = smtp.counts();
    const twice = recipients.filter((r) => (counts.get(r.email) ?? 0) > 1);
    expect(recipients.filter((r) => !counts.get(r.email))).toEqual([]);
    expect(twice.length).toBeLessThanOrEqual(config.concurrency);
  });

  it("a write lock held by another process never freezes the event loop, and no reply becomes a timeout", async () => {
    const SQLite = (await import("better-sqlite3")).default;
    const path = await import("node:path");
    const config = fastConfig({ concurrency: 4, batchSize: 20 });
    smtp.delayMs = 5;
    const { runId, recipients } = await dueRun(150);
    startWorker(config);
    await eventually(() => smtp.received.length >= 10);

    const other = new SQLite(path.join(dir, "db.sqlite"));
    const loop = monitorEventLoopDelay({ resolution: 10 });
    other.exec("begin immediate");
    loop.enable();
    const releaseAfterMs = 3_000;
    await new Promise((resolve) => setTimeout(resolve, releaseAfterMs));
    other.exec("commit");
    loop.disable();
    other.close();

    // The lock was held for 3 s; no single block of the loop may come near that (busy waits are 25 ms).
    expect(loop.max / 1e6).toBeLessThan(1_000);
    const run = await finishedRun(database, runId);
    expect(run.status).toBe("success");
    expect(recipients.filter((r) => smtp.counts().get(r.email) !== 1)).toEqual([]);
    const timeouts = await database.db
      .selectFrom("delivery_attempts")
      .select("text")
      .where("run_id", "=", runId)
      .where("outcome", "!=", "sent")
      .execute();
    expect(timeouts).toEqual([]);
  });
});
