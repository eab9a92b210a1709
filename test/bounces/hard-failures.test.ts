import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BounceService } from "../../src/bounces/bounces.service.js";
import { hardFailureListener } from "../../src/bounces/hard-failures.js";
import type { Database } from "../../src/db/database.js";
import { KyselyDeliveryStore } from "../../src/delivery/delivery.store.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { DeliveryWorker, silentLogger } from "../../src/delivery/worker.js";
import { deliveriesOf, FROM, fastConfig, finishedRun, smtpMailer } from "../delivery/support.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";

describe(hardFailureListener.name, () => {
  let database: Database;
  let smtp: TestSmtpServer;

  beforeEach(async () => {
    database = await testDatabase();
    smtp = await TestSmtpServer.start();
  });
  afterEach(async () => {
    await smtp.close();
    await database.close();
  });

  it("suppresses an address refused at RCPT with 5.1.1 once the run finishes (the worker untouched)", async () => {
    smtp.rcptReplies.set("bad@example.com", { code: 550, message: "5.1.1 No such user here" });
    smtp.rcptReplies.set("policy@example.com", { code: 550, message: "5.7.1 Rejected by policy" });
    const seeded = await seedMailing(database.db, {
      recipients: ["bad@example.com", "policy@example.com", "ok@example.com"],
    });
    const config = fastConfig();
    const mailer = smtpMailer(smtp.url, config);
    const bounces = new BounceService(database, { hardLimit: 1, softLimit: 3 });
    const worker = new DeliveryWorker({
      store: new KyselyDeliveryStore(database, hardFailureListener(bounces, silentLogger)),
      mailer,
      config,
      from: FROM,
    });
    const created = await new KyselyRunsStore(database).createRun({
      mailingId: seeded.mailing.id,
      trigger: "web",
      actorUserId: seeded.user.id,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    if (!("run" in created)) throw new Error("no run");
    worker.start();
    try {
      await finishedRun(database, created.run.id);
    } finally {
      await worker.stop();
      await mailer.close();
    }
    const byEmail = Object.fromEntries(
      (await deliveriesOf(database, created.run.id)).map((d) => [d.email, d]),
    );
    expect(byEmail["bad@example.com"]).toMatchObject({ status: "failed", last_enhanced: "5.1.1" });
    const rows = await database.db.selectFrom("suppressions").selectAll().execute();
    expect(rows).toMatchObject([
      { email: "bad@example.com", reason: "hard_bounce", source: "bounce", run_id: created.run.id },
    ]);
  });
});
