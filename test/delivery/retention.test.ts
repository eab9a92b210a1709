import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { DeliveryRetention } from "../../src/delivery/retention.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { FakeClock } from "./support.js";

const DAY = 86_400_000;

async function finishedRunOf(database: Database, recipients: number, finishedAt: Date) {
  const { user, mailing } = await seedMailing(database.db, { recipients });
  const created = await new KyselyRunsStore(database).createRun({
    mailingId: mailing.id,
    trigger: "web",
    actorUserId: user.id,
    scheduledFor: finishedAt.toISOString(),
    now: finishedAt,
  });
  if (!("run" in created)) throw new Error(`no run: ${created.skipped}`);
  const run = created.run;
  const deliveries = await database.db
    .selectFrom("deliveries")
    .select("id")
    .where("run_id", "=", run.id)
    .execute();
  for (const d of deliveries) {
    await database.db
      .insertInto("delivery_attempts")
      .values({
        delivery_id: d.id,
        run_id: run.id,
        attempted_at: finishedAt.toISOString(),
        stage: "data",
        outcome: "sent",
        code: 250,
        enhanced: null,
        text: "ok",
        relay: null,
      })
      .execute();
  }
  await database.db.updateTable("deliveries").set({ status: "sent" }).where("run_id", "=", run.id).execute();
  await database.db
    .updateTable("runs")
    .set({
      status: "success",
      sent_count: recipients,
      response: '{"summary":"kept"}',
      finished_at: finishedAt.toISOString(),
    })
    .where("id", "=", run.id)
    .execute();
  return run.id;
}

const rowsOf = async (database: Database, table: "deliveries" | "delivery_attempts", runId: number) =>
  (await database.db.selectFrom(table).select("id").where("run_id", "=", runId).execute()).length;

describe("DeliveryRetention", () => {
  let database: Database;
  afterEach(async () => database?.close());

  it("removes, in chunks, the deliveries and tries of runs finished before the retention, keeping the run's counts", async () => {
    database = await testDatabase();
    const clock = new FakeClock(Date.parse("2026-12-02T12:00:00Z"));
    const old = await finishedRunOf(database, 23, new Date(clock.now().getTime() - 40 * DAY));
    const recent = await finishedRunOf(database, 3, new Date(clock.now().getTime() - 5 * DAY));
    const retention = new DeliveryRetention({ database, days: 30, clock, chunk: 5 });

    const result = await retention.pruneOnce();

    expect(result).toEqual({ runs: 1, deliveries: 23, attempts: 23 });
    expect(await rowsOf(database, "deliveries", old)).toBe(0);
    expect(await rowsOf(database, "delivery_attempts", old)).toBe(0);
    expect(await rowsOf(database, "deliveries", recent)).toBe(3);
    expect(await rowsOf(database, "delivery_attempts", recent)).toBe(3);
    const run = await database.db
      .selectFrom("runs")
      .selectAll()
      .where("id", "=", old)
      .executeTakeFirstOrThrow();
    expect(run).toMatchObject({
      total_count: 23,
      sent_count: 23,
      response: '{"summary":"kept"}',
      pruned_after_days: 30,
      pruned_at: clock.now().toISOString(),
    });
    // A second pass finds nothing left to do.
    expect(await retention.pruneOnce()).toEqual({ runs: 0, deliveries: 0, attempts: 0 });
  });

  it("leaves a run that is still sending alone, however old", async () => {
    database = await testDatabase();
    const clock = new FakeClock(Date.parse("2026-12-02T12:00:00Z"));
    const id = await finishedRunOf(database, 2, new Date(clock.now().getTime() - 90 * DAY));
    await database.db.updateTable("runs").set({ status: "sending" }).where("id", "=", id).execute();
    expect(await new DeliveryRetention({ database, days: 30, clock }).pruneOnce()).toEqual({
      runs: 0,
      deliveries: 0,
      attempts: 0,
    });
    expect(await rowsOf(database, "deliveries", id)).toBe(2);
  });
});
