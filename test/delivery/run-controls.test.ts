import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KyselyDeliveryStore } from "../../src/delivery/delivery.store.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import type { DeliveryWorker } from "../../src/delivery/worker.js";
import { ConflictError } from "../../src/shared/errors.js";
import { buildApi } from "../api/support.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { build, type TestApp } from "../helpers/web.js";
import {
  deliveriesOf,
  eventually,
  fastConfig,
  finishedRun,
  makeWorker,
  runRow,
  smtpMailer,
} from "./support.js";

const N = 60;

describe("pause, resume and cancel a run under load", () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let worker: DeliveryWorker | undefined;
  let mailer: ReturnType<typeof smtpMailer> | undefined;

  beforeEach(async () => {
    t = await build();
    smtp = await TestSmtpServer.start();
    // Slow replies, so the run is still sending when it is paused or cancelled.
    smtp.delayMs = 15;
  });

  afterEach(async () => {
    await worker?.stop();
    await mailer?.close();
    worker = undefined;
    await smtp.close();
  });

  async function startRun() {
    const seeded = await seedMailing(t.database.db, { recipients: N });
    const config = fastConfig({ concurrency: 2, batchSize: 10 });
    mailer = smtpMailer(smtp.url, config);
    worker = makeWorker(t.database, mailer, config);
    const created = await new KyselyRunsStore(t.database).createRun({
      mailingId: seeded.mailing.id,
      trigger: "web",
      actorUserId: seeded.user.id,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    if (!("run" in created)) throw new Error(`no run: ${created.skipped}`);
    worker.start();
    await eventually(() => smtp.received.length >= 5);
    return { run: created.run, owner: { id: seeded.user.id, role: seeded.user.role } };
  }

  const openCount = async (runId: number, status: "sending" | "pending") =>
    (await deliveriesOf(t.database, runId)).filter((d) => d.status === status).length;

  it("pauses (nothing claimed or due while paused), then resumes where it stopped: everyone exactly once", async () => {
    const { run, owner } = await startRun();
    const paused = await t.services.delivery.pause(owner, run.id);
    expect(paused.outcome).toBe("paused");
    await expect(t.services.delivery.pause(owner, run.id)).rejects.toThrow("already paused");

    // In-flight sends finish and are recorded; the worker gives back what it had claimed; the rest waits.
    await eventually(async () => (await openCount(run.id, "sending")) === 0);
    const held = await deliveriesOf(t.database, run.id);
    const sentWhilePausing = held.filter((d) => d.status === "sent").length;
    expect(sentWhilePausing).toBe(smtp.received.length);
    expect(sentWhilePausing).toBeLessThan(N);
    const now = new Date().toISOString();
    for (const d of held.filter((x) => x.status === "pending")) expect(d.next_attempt_at > now).toBe(true);
    expect((await runRow(t.database, run.id)).status).toBe("sending");

    const resumed = await t.services.delivery.resume(owner, run.id);
    expect(resumed.outcome).toBe("sending");
    const done = await finishedRun(t.database, run.id);
    expect(done.status).toBe("success");
    expect(done.sent_count).toBe(N);
    expect(smtp.received).toHaveLength(N);
    expect([...smtp.counts().values()].every((n) => n === 1)).toBe(true);
    await expect(t.services.delivery.resume(owner, run.id)).rejects.toBeInstanceOf(ConflictError);
  });

  it("cancels: what was not sent is recorded cancelled and never sent; the run finishes Cancelled", async () => {
    const { run, owner } = await startRun();
    const cancelled = await t.services.delivery.cancel(owner, run.id);
    expect(cancelled.cancelled_now).toBeGreaterThan(0);
    const done = await eventually(async () => {
      const row = await runRow(t.database, run.id);
      if (row.status !== "sending") return row;
      // The scheduler finishes a run whose last claims came back cancelled; here the test stands in for it.
      await new KyselyDeliveryStore(t.database).finishStaleRuns(new Date());
      return undefined;
    });
    const rows = await deliveriesOf(t.database, run.id);
    const sent = rows.filter((d) => d.status === "sent").length;
    const cancelledRows = rows.filter((d) => d.status === "cancelled").length;
    expect(sent + cancelledRows).toBe(N);
    expect(cancelledRows).toBeGreaterThan(0);
    expect(done.cancelled_count).toBe(cancelledRows);
    expect(smtp.received).toHaveLength(sent);
    expect([...smtp.counts().values()].every((n) => n === 1)).toBe(true);

    const view = await t.services.delivery.getRun(owner, run.id);
    expect(view.outcome).toBe("cancelled");
    expect(view.outcome_label).toBe(`Cancelled (${cancelledRows} not sent)`);
    expect(view.progress).toMatchObject({
      sent,
      cancelled: cancelledRows,
      suppressed: 0,
      pending: 0,
      done: true,
    });
    await expect(t.services.delivery.cancel(owner, run.id)).rejects.toThrow("already cancelled");
    await expect(t.services.delivery.retryFailed(owner, run.id)).rejects.toThrow("cancelled");
  });
});

describe("run controls in the API", () => {
  it("pauses, resumes and cancels; 409 where the run's state refuses it", async () => {
    const t = await buildApi();
    for (const email of ["a@example.com", "b@example.com"])
      await t.api.call("POST", "/recipients", { email });
    const message = (await t.api.call("POST", "/messages", { subject: "S", body: "B" })).json();
    const mailing = (
      await t.api.call("POST", "/mailings", {
        name: "M",
        message_id: message.id,
        first_send_at: "2099-01-01T09:00",
        end_at: "2099-02-01T09:00",
        periodicity: "once",
        time_zone: "UTC",
      })
    ).json();
    const run = (await t.api.call("POST", `/mailings/${mailing.id}/send`)).json();
    const paused = await t.api.call("POST", `/runs/${run.id}/pause`);
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ outcome: "paused", progress: { pending: 2 } });
    expect(paused.json().paused_at).not.toBeNull();
    const again = await t.api.call("POST", `/runs/${run.id}/pause`);
    expect(again.statusCode).toBe(409);
    expect((await t.api.call("POST", `/runs/${run.id}/resume`)).json().outcome).toBe("sending");
    const cancelled = await t.api.call("POST", `/runs/${run.id}/cancel`);
    expect(cancelled.json()).toMatchObject({ outcome: "cancelled", progress: { cancelled: 2, pending: 0 } });
    expect((await t.api.call("POST", `/runs/${run.id}/resume`)).statusCode).toBe(409);
  });
});
