import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { OutboxMailer } from "../../src/delivery/outbox.mailer.js";
import { parseResponse } from "../../src/delivery/summary.js";
import type { DeliveryWorker } from "../../src/delivery/worker.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import {
  deliveriesOf,
  eventually,
  FakeClock,
  fastConfig,
  finishedRun,
  makeScheduler,
  makeWorker,
  smtpMailer,
} from "./support.js";

describe("DeliveryWorker", () => {
  let database: Database;
  let smtp: TestSmtpServer;
  let sut: DeliveryWorker | undefined;
  let mailer: ReturnType<typeof smtpMailer> | undefined;

  beforeEach(async () => {
    database = await testDatabase();
    smtp = await TestSmtpServer.start();
  });

  afterEach(async () => {
    await sut?.stop();
    await mailer?.close();
    sut = undefined;
    mailer = undefined;
    await smtp.close();
    await database.close();
  });

  /** Seeds a mailing due now, lets the scheduler create its run, and returns it. */
  async function dueRun(recipients: string[] | number) {
    const seeded = await seedMailing(database.db, { recipients });
    const tick = await makeScheduler(database).tick();
    expect(tick.created).toHaveLength(1);
    return { ...seeded, runId: tick.created[0]! };
  }

  function startWorker(config = fastConfig()) {
    mailer = smtpMailer(smtp.url, config);
    sut = makeWorker(database, mailer, config);
    sut.start();
    return sut;
  }

  it("sends each recipient their own email once and finishes the run as a success", async () => {
    const { runId } = await dueRun(45);
    startWorker();
    const run = await finishedRun(database, runId);

    expect(run.status).toBe("success");
    expect([run.total_count, run.sent_count, run.failed_count]).toEqual([45, 45, 0]);
    expect(smtp.received).toHaveLength(45);
    for (const message of smtp.received) {
      expect(message.to).toHaveLength(1);
      expect(message.toHeader).toBe(message.to[0]);
      expect(message.from).toBe("sender@postpilot.test");
      expect(message.raw).toContain("Subject: News from us");
    }
    expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(45);
    const deliveries = await deliveriesOf(database, runId);
    expect(
      deliveries.every((d) => d.status === "sent" && d.tries === 1 && d.last_code === 250 && d.sent_at),
    ).toBe(true);
    expect(smtp.received.map((m) => m.messageId).sort()).toEqual(
      deliveries.map((d) => `<${d.message_id}>`).sort(),
    );
    expect(parseResponse(run.response)).toEqual({ codes: { "250": 45 }, failures: [] });
  });

  it("retries a recipient whose first tries get 451, then records it sent", async () => {
    smtp.failFirst.set("r2@example.test", { code: 451, message: "4.7.1 Greylisted, try later", times: 2 });
    const { runId } = await dueRun(3);
    startWorker();
    const run = await finishedRun(database, runId);

    expect(run.status).toBe("success");
    const r2 = (await deliveriesOf(database, runId)).find((d) => d.email === "r2@example.test")!;
    expect(r2).toMatchObject({ status: "sent", tries: 3, last_code: 250 });
    expect(smtp.attempts.filter((a) => a === "r2@example.test")).toHaveLength(3);
    expect(smtp.counts().get("r2@example.test")).toBe(1);
  });

  it("records a 550 as failed at once with the server's text, and the run as a failure", async () => {
    smtp.rcptReplies.set("r1@example.test", { code: 550, message: "5.1.1 No such user here" });
    const { runId } = await dueRun(3);
    startWorker();
    const run = await finishedRun(database, runId);

    expect(run.status).toBe("failure");
    expect([run.sent_count, run.failed_count]).toEqual([2, 1]);
    const r1 = (await deliveriesOf(database, runId)).find((d) => d.email === "r1@example.test")!;
    expect(r1).toMatchObject({ status: "failed", tries: 1, last_code: 550, last_enhanced: "5.1.1" });
    expect(r1.last_text).toContain("No such user here");
    expect(smtp.attempts.filter((a) => a === "r1@example.test")).toHaveLength(1);
    const response = parseResponse(run.response)!;
    expect(response.codes).toEqual({ "250": 2, "550": 1 });
    expect(response.failures[0]).toMatchObject({ count: 1 });
    expect(response.failures[0]!.text).toContain("5.1.1 No such user here");
  });

  it("fails a recipient after SEND_MAX_TRIES temporary failures", async () => {
    smtp.failFirst.set("r1@example.test", { code: 450, message: "4.2.1 Mailbox busy", times: 99 });
    const { runId } = await dueRun(2);
    startWorker(fastConfig({ maxTries: 3 }));
    const run = await finishedRun(database, runId);

    expect(run.status).toBe("failure");
    const r1 = (await deliveriesOf(database, runId)).find((d) => d.email === "r1@example.test")!;
    expect(r1).toMatchObject({ status: "failed", tries: 3, last_code: 450 });
    expect(r1.last_text).toContain("gave up after 3 tries");
  });

  it("retries a message whose connection dropped during DATA", async () => {
    smtp.dropDuringData.set("r1@example.test", 1);
    const { runId } = await dueRun(2);
    startWorker();
    const run = await finishedRun(database, runId);

    expect(run.status).toBe("success");
    expect(smtp.counts().get("r1@example.test")).toBe(1);
  });

  it("pauses while the server refuses connections and sends everything once when it is back", async () => {
    await smtp.refuse();
    const { runId } = await dueRun(30);
    const worker = startWorker();

    const paused = await eventually(() => (worker.status().state !== "closed" ? worker.status() : undefined));
    expect(paused.reason).toMatch(/ECONNREFUSED|connect|Connection/i);
    const heartbeat = await eventually(() =>
      database.db.selectFrom("delivery_workers").selectAll().where("state", "=", "paused").executeTakeFirst(),
    );
    expect(heartbeat.reason).toBeTruthy();
    expect((await deliveriesOf(database, runId)).every((d) => d.status !== "failed")).toBe(true);

    await smtp.accept();
    const run = await finishedRun(database, runId);
    expect(run.status).toBe("success");
    expect(worker.status().state).toBe("closed");
    expect(smtp.received).toHaveLength(30);
    expect([...smtp.counts().values()].every((n) => n === 1)).toBe(true);
  });

  it("treats 421 as the server being down: pauses, then resumes by itself", async () => {
    smtp.mailFromReply = { code: 421, message: "4.3.2 Service shutting down" };
    const { runId } = await dueRun(10);
    const worker = startWorker();

    await eventually(() => worker.status().state !== "closed");
    expect(worker.status().reason).toContain("421");
    smtp.mailFromReply = null;
    const run = await finishedRun(database, runId);
    expect(run.status).toBe("success");
    expect(smtp.received).toHaveLength(10);
    const deliveries = await deliveriesOf(database, runId);
    // Server-down failures do not use up a recipient's tries.
    expect(deliveries.every((d) => d.tries === 1)).toBe(true);
  });

  it("retries timeouts of a slow server and sends once it answers in time", async () => {
    smtp.delayMs = 1_500;
    const { runId } = await dueRun(2);
    const config = fastConfig({ concurrency: 2 });
    mailer = smtpMailer(smtp.url, config, 500);
    sut = makeWorker(database, mailer, config);
    sut.start();
    await eventually(async () =>
      (await deliveriesOf(database, runId)).some((d) => d.last_text?.match(/timeout|timed out/i)),
    );
    smtp.delayMs = 0;
    const run = await finishedRun(database, runId);
    expect(run.status).toBe("success");
  });

  it("stops in two phases: in-flight sends are recorded, unsent claims are released", async () => {
    smtp.delayMs = 100;
    const { runId } = await dueRun(40);
    const worker = startWorker(fastConfig({ concurrency: 2, batchSize: 20 }));
    await eventually(() => smtp.received.length >= 2);
    await worker.stop();
    sut = undefined;

    const deliveries = await deliveriesOf(database, runId);
    expect(deliveries.filter((d) => d.status === "sending")).toEqual([]);
    expect(deliveries.filter((d) => d.status === "sent")).toHaveLength(smtp.received.length);
    expect(deliveries.filter((d) => d.status === "pending").length).toBeGreaterThan(0);
    expect(await database.db.selectFrom("delivery_workers").selectAll().execute()).toEqual([]);
  });

  it("stores messages in the local outbox when there is no SMTP server", async () => {
    const { runId } = await dueRun(3);
    sut = makeWorker(database, new OutboxMailer(database.db));
    sut.start();
    const run = await finishedRun(database, runId);
    expect(run.status).toBe("success");
    const outbox = await database.db.selectFrom("outbox_messages").selectAll().orderBy("id").execute();
    expect(outbox.map((m) => m.to_address).sort()).toEqual([
      "r1@example.test",
      "r2@example.test",
      "r3@example.test",
    ]);
    expect(outbox.find((m) => m.to_address === "r1@example.test")!.raw).toMatch(/^To: r1@example.test\r\n/);
  });

  it("reclaims deliveries whose worker's lease expired", async () => {
    const { runId } = await dueRun(5);
    const clock = new FakeClock(Date.now());
    const { KyselyDeliveryStore } = await import("../../src/delivery/delivery.store.js");
    const store = new KyselyDeliveryStore(database);
    const claimed = await store.claim("dead-worker", 5, clock.now(), new Date(clock.now().getTime() + 1_000));
    expect(claimed).toHaveLength(5);
    expect(await store.claim("other", 5, clock.now(), new Date(clock.now().getTime() + 1_000))).toEqual([]);
    expect(await store.reclaimExpired(clock.now())).toBe(0);
    clock.advance(1_001);
    expect(await store.reclaimExpired(clock.now())).toBe(5);
    startWorker();
    expect((await finishedRun(database, runId)).status).toBe("success");
  });
});
