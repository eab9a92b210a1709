/**
 * SEND_RATE holds for the installation: three workers, each with its own connection (as separate processes
 * would have), share one bucket in the database. The sink timestamps every message it accepts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import type { Mailer } from "../../src/delivery/ports.js";
import { bucketPolicy } from "../../src/delivery/rate.js";
import type { DeliveryWorker } from "../../src/delivery/worker.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { fastConfig, finishedRun, makeScheduler, makeWorker, smtpMailer } from "./support.js";

const RATE = 50;
const N = 200;
const pgUrl = process.env.TEST_DATABASE_URL;

/** The most messages accepted within any one second. */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

describe("one send rate for every worker", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** The shared database, and a way to open another connection to it (a worker's own). */
  async function shared(kind: "sqlite" | "postgres"): Promise<{ main: Database; open: () => Database }> {
    if (kind === "postgres") {
      const main = await testDatabase();
      cleanup.push(() => main.close());
      return { main, open: () => Database.postgres(pgUrl!, { max: 3 }) };
    }
    const dir = mkdtempSync(path.join(tmpdir(), "pp-rate-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "postpilot.db");
    const main = Database.sqlite(file);
    await main.migrateToLatest();
    cleanup.push(() => main.close());
    return { main, open: () => Database.sqlite(file) };
  }

  it.each(pgUrl ? (["sqlite", "postgres"] as const) : (["sqlite"] as const))(
    "three workers with SEND_RATE=50 (%s): no second over 55, the run takes N/50 seconds, give or take a tenth",
    async (kind) => {
      const { main, open } = await shared(kind);
      const smtp = await TestSmtpServer.start();
      cleanup.push(() => smtp.close());
      const { recipients } = await seedMailing(main.db, { recipients: N });
      const [runId] = (await makeScheduler(main).tick()).created;

      const sentBy = [0, 0, 0];
      const workers: DeliveryWorker[] = [];
      for (const i of [0, 1, 2]) {
        const own = open();
        const config = fastConfig({ concurrency: 4, batchSize: 20, rate: RATE });
        const out = smtpMailer(smtp.url, config);
        const counting: Mailer = {
          kind: "smtp",
          send: (mail) => {
            sentBy[i]!++;
            return out.send(mail);
          },
          close: () => out.close(),
        };
        const worker = makeWorker(own, counting, config, { workerId: `rate-${i}` });
        workers.push(worker);
        cleanup.push(async () => {
          await worker.stop();
          await counting.close();
          await own.close();
        });
      }
      // The sink shares this process: a stall of its event loop (other test files on the same two cores)
      // bunches the timestamps it takes, by up to the rate times the stall. Measured, and allowed for.
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      for (const worker of workers) worker.start();
      const run = await finishedRun(main, runId!, 60_000);
      loop.disable();
      const stallMs = loop.max / 1e6;
      const stallAllowance = stallMs > 50 ? Math.ceil((RATE * stallMs) / 1000) : 0;

      expect(run).toMatchObject({ status: "success", sent_count: N });
      const counts = smtp.counts();
      for (const r of recipients) expect(counts.get(r.email)).toBe(1);
      // The bucket is shared, not split: every worker sent some.
      for (const n of sentBy) expect(n).toBeGreaterThan(0);
      const times = smtp.received.map((m) => m.at);
      const spanMs = Math.max(...times) - Math.min(...times);
      const figures = `busiest second ${busiestSecond(times)}, span ${spanMs} ms, worst loop stall ${Math.round(stallMs)} ms`;
      expect(busiestSecond(times), figures).toBeLessThanOrEqual(55 + stallAllowance);
      // The first burst goes at once; the rest at the rate, never faster, and not much slower.
      const { burst } = bucketPolicy(RATE);
      // (Less 5 %: the first messages wait for their connections, which shortens the span the sink sees.)
      expect(spanMs, figures).toBeGreaterThanOrEqual(((N - burst) / RATE) * 1000 * 0.95);
      expect(spanMs, figures).toBeLessThanOrEqual(
        (N / RATE) * 1000 * 1.1 + (stallAllowance > 0 ? stallMs : 0),
      );
    },
    90_000,
  );
});
