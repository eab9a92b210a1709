/** Several workers on one PostgreSQL database never send the same delivery twice (SKIP LOCKED + lease). */
import { afterAll, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import type { Mailer } from "../../src/delivery/ports.js";
import type { DeliveryWorker } from "../../src/delivery/worker.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { fastConfig, finishedRun, makeScheduler, makeWorker, smtpMailer } from "./support.js";

const url = process.env.TEST_DATABASE_URL;

describe("two workers on PostgreSQL", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it.skipIf(!url)(
    "send each delivery exactly once",
    async () => {
      const database = await testDatabase();
      cleanup.push(() => database.close());
      const smtp = await TestSmtpServer.start();
      cleanup.push(() => smtp.close());
      smtp.delayMs = 1;
      const { recipients } = await seedMailing(database.db, { recipients: 300 });
      const [runId] = (await makeScheduler(database).tick()).created;

      const sent = [0, 0];
      const workers: DeliveryWorker[] = [];
      for (const i of [0, 1]) {
        const own = Database.postgres(url!, { max: 3 }); // each worker its own pool, like separate processes
        const config = fastConfig({ batchSize: 10, concurrency: 4 });
        const smtpOut = smtpMailer(smtp.url, config);
        const counting: Mailer = {
          kind: "smtp",
          send: (mail) => {
            sent[i]!++;
            return smtpOut.send(mail);
          },
          close: () => smtpOut.close(),
        };
        const worker = makeWorker(own, counting, config, { workerId: `w${i}` });
        workers.push(worker);
        cleanup.push(async () => {
          await worker.stop();
          await counting.close();
          await own.close();
        });
      }
      for (const worker of workers) worker.start();
      const run = await finishedRun(database, runId!, 60_000);

      expect(run).toMatchObject({ status: "success", sent_count: 300 });
      expect(sent[0]! + sent[1]!).toBe(300);
      expect(sent[0]).toBeGreaterThan(0);
      expect(sent[1]).toBeGreaterThan(0);
      const counts = smtp.counts();
      expect(counts.size).toBe(300);
      for (const r of recipients) expect(counts.get(r.email)).toBe(1);
    },
    90_000,
  );
});
