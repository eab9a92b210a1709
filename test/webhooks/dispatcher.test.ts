import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { KyselyDeliveryStore } from "../../src/delivery/delivery.store.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { Scheduler } from "../../src/delivery/scheduler.js";
import { DeliveryWorker } from "../../src/delivery/worker.js";
import { type DispatcherConfig, WebhookDispatcher } from "../../src/webhooks/webhooks.dispatcher.js";
import { WebhookOutbox } from "../../src/webhooks/webhooks.outbox.js";
import { WebhooksService } from "../../src/webhooks/webhooks.service.js";
import { WebhookStore } from "../../src/webhooks/webhooks.store.js";
import { eventually, FROM, fastConfig, finishedRun, smtpMailer } from "../delivery/support.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { eventsOf, signatureMatches, TestReceiver } from "./support.js";

describe(WebhookDispatcher.name, () => {
  let database: Database;
  let smtp: TestSmtpServer;
  let receiver: TestReceiver;
  const stops: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    database = await testDatabase();
    smtp = await TestSmtpServer.start();
    receiver = await TestReceiver.start();
  });

  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await receiver.close();
    await smtp.close();
    await database.close();
  });

  const fastHooks = (overrides: Partial<DispatcherConfig> = {}): Partial<DispatcherConfig> => ({
    allowPrivate: true,
    pollMs: 10,
    timeoutMs: 5_000,
    retry: { baseMs: 10, maxDelayMs: 50, maxAgeMs: 24 * 3_600_000, disableAfterMs: 3 * 24 * 3_600_000 },
    ...overrides,
  });

  /** A mailing of `n` recipients with an endpoint of its owner for `events`, its run created. */
  async function runWithEndpoint(n: number, events: string[]) {
    const seeded = await seedMailing(database.db, { recipients: n });
    const hooks = new WebhooksService(database, { allowPrivate: true });
    const { endpoint, secret } = await hooks.create(
      { id: seeded.user.id, role: "user" },
      { url: receiver.url(), events },
    );
    const outbox = new WebhookOutbox();
    const tick = await new Scheduler({ store: new KyselyRunsStore(database, outbox), intervalMs: 50 }).tick();
    expect(tick.created).toHaveLength(1);
    return { ...seeded, endpoint, secret, outbox, runId: tick.created[0]! };
  }

  function startWorker(outbox: WebhookOutbox) {
    const config = fastConfig();
    const mailer = smtpMailer(smtp.url, config);
    const worker = new DeliveryWorker({
      store: new KyselyDeliveryStore(database, undefined, outbox),
      mailer,
      config,
      from: FROM,
    });
    worker.start();
    stops.push(async () => {
      await worker.stop();
      await mailer.close();
    });
  }

  function startDispatcher(config: Partial<DispatcherConfig>) {
    const sut = new WebhookDispatcher(new WebhookStore(database), { config });
    sut.start();
    stops.push(() => sut.stop());
    return sut;
  }

  const pendingEvents = async () =>
    Number(
      (
        await database.db
          .selectFrom("webhook_events")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("status", "=", "pending")
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("delivers each event once, in order, after a receiver that answered 500 twice is up, signed", async () => {
    const { runId, secret, outbox } = await runWithEndpoint(30, [
      "run.started",
      "delivery.sent",
      "run.finished",
    ]);
    receiver.replies = [500, 500];
    startWorker(outbox);
    await finishedRun(database, runId);
    startDispatcher(fastHooks());
    await eventually(
      async () => (await pendingEvents()) === 0 && receiver.accepted().some((b) => b.type === "run.finished"),
    );

    // The first request was refused twice, then accepted: the same event three times, nothing else before.
    const [first, second, third] = receiver.requests;
    expect([first!.status, second!.status, third!.status]).toEqual([500, 500, 200]);
    expect(JSON.parse(first!.body).id).toBe(JSON.parse(third!.body).id);
    for (const request of receiver.requests) {
      expect(signatureMatches(secret, request.body, request.headers["x-postpilot-signature"] as string)).toBe(
        true,
      );
      expect(request.headers["x-postpilot-webhook-id"]).toBe(JSON.parse(request.body).id);
    }
    expect(
      signatureMatches("whsec_wrong", third!.body, third!.headers["x-postpilot-signature"] as string),
    ).toBe(false);

    const delivered = receiver.accepted().flatMap(eventsOf);
    const ids = delivered.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(delivered.map((e) => e.type)).toEqual([
      "run.started",
      ...Array(30).fill("delivery.sent"),
      "run.finished",
    ]);
    const deliveryIds = delivered
      .filter((e) => e.type === "delivery.sent")
      .map((e) => e.data.delivery_id as number);
    expect(deliveryIds).toEqual([...deliveryIds].sort((a, b) => a - b));
    expect(delivered.at(-1)!.data).toMatchObject({ run_id: runId, status: "success", sent_count: 30 });
    // Delivery events went in batches, not one request each.
    expect(receiver.accepted().length).toBeLessThan(10);
  });

  it("batches a run's delivery events, at most 100 per request", async () => {
    const { runId, outbox } = await runWithEndpoint(250, ["delivery.sent"]);
    startWorker(outbox);
    await finishedRun(database, runId, 60_000);
    startDispatcher(fastHooks());
    await eventually(async () => (await pendingEvents()) === 0);

    const bodies = receiver.accepted();
    expect(bodies.flatMap(eventsOf)).toHaveLength(250);
    expect(bodies.length).toBe(3);
    for (const body of bodies) {
      expect(body.type).toBe("batch");
      expect(eventsOf(body).length).toBeLessThanOrEqual(100);
    }
  });

  it("finishes sending while a receiver hangs", async () => {
    const { runId, outbox } = await runWithEndpoint(20, ["run.started"]);
    receiver.hang = true;
    startDispatcher(fastHooks({ timeoutMs: 60_000 }));
    await eventually(() => receiver.open === 1);
    startWorker(outbox);
    const run = await finishedRun(database, runId);

    expect(run.sent_count).toBe(20);
    // The webhook request is still waiting for its answer.
    expect(receiver.open).toBe(1);
    expect(await database.db.selectFrom("webhook_attempts").selectAll().execute()).toHaveLength(0);
  });

  it("records a request that gets no answer in time as a timeout and tries again later", async () => {
    const { outbox } = await runWithEndpoint(2, ["run.started"]);
    void outbox;
    receiver.hang = true;
    startDispatcher(
      fastHooks({
        timeoutMs: 200,
        retry: { baseMs: 60_000, maxDelayMs: 60_000, maxAgeMs: 86_400_000, disableAfterMs: 3 * 86_400_000 },
      }),
    );
    const attempt = await eventually(() =>
      database.db.selectFrom("webhook_attempts").selectAll().executeTakeFirst(),
    );

    expect(attempt).toMatchObject({ outcome: "timeout", status_code: null, event_count: 1 });
    const endpoint = await database.db.selectFrom("webhook_endpoints").selectAll().executeTakeFirstOrThrow();
    expect(endpoint.failures).toBe(1);
    expect(Date.parse(endpoint.next_attempt_at!)).toBeGreaterThan(Date.now() + 30_000);
    expect(await pendingEvents()).toBe(1);
  });
});
