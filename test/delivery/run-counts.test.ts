/**
 * run_counts (migration 028): each run's deliveries by status, kept by triggers in the transaction of every
 * delivery write, must equal COUNT(*) over the run's deliveries after a real run with permanent and temporary
 * failures, a retry of the failed ones, a cancel and a delete. SQLite, and PostgreSQL with TEST_DATABASE_URL.
 */
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recountRuns } from "../../src/db/counters.js";
import type { Database } from "../../src/db/database.js";
import type { DeliveryStatus } from "../../src/db/schema.js";
import type { SendOutcome } from "../../src/delivery/classify.js";
import { DeliveryService } from "../../src/delivery/delivery.service.js";
import type { Mailer, OutgoingMail } from "../../src/delivery/ports.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { eventually, fastConfig, finishedRun, makeWorker } from "./support.js";

/** Fails r3, r6, r9… for good (550) and r2, r4… once (451), sends the rest; `healed` sends everyone. */
class PickyMailer implements Mailer {
  readonly kind = "smtp" as const;
  healed = false;
  private readonly seen = new Set<string>();
  async send(mail: OutgoingMail): Promise<SendOutcome> {
    const n = Number(/^r(\d+)@/.exec(mail.to)?.[1] ?? 0);
    if (!this.healed && n % 3 === 0)
      return { ok: false, stage: "rcpt", responseCode: 550, response: "550 5.1.1 no such user" };
    if (!this.healed && n % 2 === 0 && !this.seen.has(mail.to)) {
      this.seen.add(mail.to);
      return { ok: false, stage: "rcpt", responseCode: 451, response: "451 4.3.0 try later" };
    }
    return { ok: true, stage: "data", responseCode: 250, response: "250 2.0.0 Ok" };
  }
  async close(): Promise<void> {}
}

describe("run_counts", () => {
  let database: Database;
  let service: DeliveryService;

  beforeEach(async () => {
    database = await testDatabase();
    service = new DeliveryService(database, { mode: "smtp", prepareChunk: 7 });
  });
  afterEach(async () => database.close());

  async function kept(runId: number) {
    const rows = await database.db
      .selectFrom("run_counts")
      .select(["status", "n"])
      .where("run_id", "=", runId)
      .execute();
    return Object.fromEntries(rows.filter((r) => Number(r.n) !== 0).map((r) => [r.status, Number(r.n)]));
  }
  async function counted(runId: number) {
    const rows = await database.db
      .selectFrom("deliveries")
      .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
      .where("run_id", "=", runId)
      .groupBy("status")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Partial<
      Record<DeliveryStatus, number>
    >;
  }

  it("equals COUNT(*) after sending with failures and retries, a retry of the failed, a cancel and deletes", async () => {
    const { user, mailing, recipients } = await seedMailing(database.db, { recipients: 40 });
    const owner = { id: user.id, role: "user" as const };
    const mailer = new PickyMailer();
    const worker = makeWorker(database, mailer, fastConfig({ retryBaseMs: 1 }));
    const run = await service.sendNow(owner, mailing.id, "cli");
    expect(await kept(run.id)).toEqual({ pending: 40 });
    worker.start();
    try {
      const first = await finishedRun(database, run.id);
      expect(first).toMatchObject({ status: "failure", sent_count: 27, failed_count: 13 });
      expect(await kept(run.id)).toEqual(await counted(run.id));
      expect(await kept(run.id)).toEqual({ sent: 27, failed: 13 });

      // Retry the failed ones (put back a chunk of 7 at a time), now everyone is accepted.
      mailer.healed = true;
      await service.retryFailed(owner, run.id);
      await eventually(
        async () =>
          (
            await database.db
              .selectFrom("runs")
              .select("status")
              .where("id", "=", run.id)
              .executeTakeFirstOrThrow()
          ).status !== "sending",
      );
      expect(await kept(run.id)).toEqual({ sent: 40 });
      expect(await kept(run.id)).toEqual(await counted(run.id));
      // The run page reads the kept counts while sending; finished, its stored ones.
      expect((await service.getRun(owner, run.id)).progress).toMatchObject({
        sent: 40,
        failed: 0,
        total: 40,
      });
    } finally {
      await worker.stop();
    }

    // A second run, cancelled before anything is sent, then a recipient deleted (its delivery stays, unlinked).
    const second = await service.sendNow(owner, mailing.id, "cli");
    const live = await service.getRun(owner, second.id);
    expect(live.progress).toMatchObject({ pending: 40, sending: 0, total: 40 });
    await service.cancel(owner, second.id);
    await database.db.deleteFrom("recipients").where("id", "=", recipients[0]!.id).execute();
    expect(await kept(second.id)).toEqual(await counted(second.id));
    expect(await kept(second.id)).toEqual({ cancelled: 40 });

    // Deleting deliveries (retention does, in chunks) takes them off the counts.
    const some = await database.db
      .selectFrom("deliveries")
      .select("id")
      .where("run_id", "=", run.id)
      .orderBy("id")
      .limit(10)
      .execute();
    await database.db
      .deleteFrom("deliveries")
      .where(
        "id",
        "in",
        some.map((d) => d.id),
      )
      .execute();
    expect(await kept(run.id)).toEqual(await counted(run.id));
    // Deleting the mailing removes its runs, their deliveries and their counts.
    await database.db.deleteFrom("mailings").where("id", "=", mailing.id).execute();
    expect(await database.db.selectFrom("run_counts").selectAll().execute()).toEqual([]);
  });
});

describe("run_minutes", () => {
  let database: Database;
  let service: DeliveryService;

  beforeEach(async () => {
    database = await testDatabase();
    service = new DeliveryService(database, { mode: "smtp", prepareChunk: 7 });
  });
  afterEach(async () => database.close());

  async function kept(runId: number) {
    const rows = await database.db
      .selectFrom("run_minutes")
      .select(["minute", "sent", "failed"])
      .where("run_id", "=", runId)
      .orderBy("minute")
      .execute();
    return rows
      .map((r) => ({ minute: r.minute, sent: Number(r.sent), failed: Number(r.failed) }))
      .filter((r) => r.sent !== 0 || r.failed !== 0);
  }
  /** The GROUP BY the table saves the run page from. */
  async function counted(runId: number) {
    const minute = sql<string>`substr(coalesce(sent_at, updated_at), 1, 16)`;
    const rows = await database.db
      .selectFrom("deliveries")
      .where("run_id", "=", runId)
      .where("status", "in", ["sent", "failed"])
      .select((eb) => [
        minute.as("minute"),
        eb.fn.sum<number>(sql`case when status = 'sent' then 1 else 0 end`).as("sent"),
        eb.fn.sum<number>(sql`case when status = 'failed' then 1 else 0 end`).as("failed"),
      ])
      .groupBy(minute)
      .orderBy(minute)
      .execute();
    return rows.map((r) => ({ minute: r.minute, sent: Number(r.sent), failed: Number(r.failed) }));
  }
  const total = (rows: { sent: number; failed: number }[]) =>
    rows.reduce((sum, r) => ({ sent: sum.sent + r.sent, failed: sum.failed + r.failed }), {
      sent: 0,
      failed: 0,
    });

  it("equals the per-minute GROUP BY after sending, retries, moved times and inserts; deletes keep the chart", async () => {
    const { user, mailing } = await seedMailing(database.db, { recipients: 40 });
    const owner = { id: user.id, role: "user" as const };
    const mailer = new PickyMailer();
    const worker = makeWorker(database, mailer, fastConfig({ retryBaseMs: 1 }));
    const run = await service.sendNow(owner, mailing.id, "cli");
    expect(await kept(run.id)).toEqual([]);
    worker.start();
    try {
      await finishedRun(database, run.id);
      expect(total(await kept(run.id))).toEqual({ sent: 27, failed: 13 });
      expect(await kept(run.id)).toEqual(await counted(run.id));
      // The run page's chart reads these rows.
      expect(total(await service.perMinute(owner, run.id))).toEqual({ sent: 27, failed: 13 });

      mailer.healed = true;
      await service.retryFailed(owner, run.id);
      await eventually(
        async () =>
          (
            await database.db
              .selectFrom("runs")
              .select("status")
              .where("id", "=", run.id)
              .executeTakeFirstOrThrow()
          ).status !== "sending",
      );
      expect(total(await kept(run.id))).toEqual({ sent: 40, failed: 0 });
      expect(await kept(run.id)).toEqual(await counted(run.id));
    } finally {
      await worker.stop();
    }

    // Rows moved to other minutes (one statement for several rows), failed again, and inserted as sent.
    const ids = (
      await database.db
        .selectFrom("deliveries")
        .select(["id", "recipient_id", "email"])
        .where("run_id", "=", run.id)
        .orderBy("id")
        .execute()
    ).map((d) => d);
    await database.db
      .updateTable("deliveries")
      .set({ sent_at: "2026-01-01T10:05:30.000Z" })
      .where(
        "id",
        "in",
        ids.slice(0, 5).map((d) => d.id),
      )
      .execute();
    await database.db
      .updateTable("deliveries")
      .set({ status: "failed", sent_at: null, updated_at: "2026-01-01T10:07:00.000Z" })
      .where("id", "=", ids[5]!.id)
      .execute();
    await database.db
      .insertInto("deliveries")
      .values({
        run_id: run.id,
        recipient_id: null,
        email: "extra@example.com",
        status: "sent",
        tries: 1,
        next_attempt_at: "2026-01-01T10:00:00.000Z",
        created_at: "2026-01-01T10:00:00.000Z",
        sent_at: "2026-01-01T10:05:59.000Z",
        updated_at: "2026-01-01T10:05:59.000Z",
      })
      .execute();
    const moved = await kept(run.id);
    expect(moved).toEqual(await counted(run.id));
    expect(moved[0]).toEqual({ minute: "2026-01-01T10:05", sent: 6, failed: 0 });
    expect(moved[1]).toEqual({ minute: "2026-01-01T10:07", sent: 0, failed: 1 });
    expect(total(moved)).toEqual({ sent: 40, failed: 1 });

    // Retention deletes a run's deliveries but keeps its chart; deleting the mailing takes the minutes too.
    await database.db.deleteFrom("deliveries").where("run_id", "=", run.id).execute();
    expect(await kept(run.id)).toEqual(moved);
    await database.db.deleteFrom("mailings").where("id", "=", mailing.id).execute();
    expect(await database.db.selectFrom("run_minutes").selectAll().execute()).toEqual([]);
  });

  it("recountRuns puts spoiled counts and charts right, says what changed, and keeps a pruned run's chart", async () => {
    const { user, mailing } = await seedMailing(database.db, { recipients: 6 });
    const owner = { id: user.id, role: "user" as const };
    const worker = makeWorker(database, new PickyMailer(), fastConfig({ retryBaseMs: 1 }));
    const run = await service.sendNow(owner, mailing.id, "cli");
    worker.start();
    try {
      await finishedRun(database, run.id);
    } finally {
      await worker.stop();
    }
    const chart = await kept(run.id);
    expect(total(chart)).toEqual({ sent: 4, failed: 2 });
    expect(await database.db.transaction().execute((tx) => recountRuns(tx))).toEqual([]);
    await database.db
      .updateTable("run_counts")
      .set({ n: 99 })
      .where("run_id", "=", run.id)
      .where("status", "=", "sent")
      .execute();
    await database.db.updateTable("run_minutes").set({ sent: 0 }).where("run_id", "=", run.id).execute();
    expect(await database.db.transaction().execute((tx) => recountRuns(tx))).toEqual([
      { runId: run.id, name: "chart", before: 2, after: 6 },
      { runId: run.id, name: "sent", before: 99, after: 4 },
    ]);
    expect(await kept(run.id)).toEqual(chart);
    // A pruned run has no deliveries left: its chart is what it was, its counts what its deliveries say.
    await database.db
      .updateTable("runs")
      .set({ pruned_at: new Date().toISOString() })
      .where("id", "=", run.id)
      .execute();
    await database.db.deleteFrom("deliveries").where("run_id", "=", run.id).execute();
    expect(await database.db.transaction().execute((tx) => recountRuns(tx))).toEqual([]);
    expect(await kept(run.id)).toEqual(chart);
  });
});
