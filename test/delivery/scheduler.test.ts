import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { KyselyDeliveryStore } from "../../src/delivery/delivery.store.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { Scheduler } from "../../src/delivery/scheduler.js";
import { testDatabase } from "../helpers/db.js";
import {
  createMailing,
  createMessage,
  createRecipients,
  createUser,
  seedMailing,
} from "../helpers/fixtures.js";
import { FakeClock } from "./support.js";

const T0 = "2027-03-10T09:00:00.000Z";

describe(Scheduler.name, () => {
  let database: Database;
  let clock: FakeClock;
  let sut: Scheduler;

  beforeEach(async () => {
    database = await testDatabase();
    clock = new FakeClock(Date.parse(T0));
    sut = new Scheduler({ store: new KyselyRunsStore(database), clock, intervalMs: 1000 });
  });
  afterEach(async () => database.close());

  const mailingRow = (id: number) =>
    database.db.selectFrom("mailings").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const runsOf = (mailingId: number) =>
    database.db.selectFrom("runs").selectAll().where("mailing_id", "=", mailingId).orderBy("id").execute();

  /** Marks every delivery of the run sent and finishes it, as a worker would. */
  async function completeRun(runId: number) {
    await database.db.updateTable("deliveries").set({ status: "sent" }).where("run_id", "=", runId).execute();
    await new KyselyDeliveryStore(database).finishRunsIfDone([runId], clock.now());
  }

  it("creates a due mailing's run with one delivery per recipient in one go, and marks it Running", async () => {
    const { mailing, recipients } = await seedMailing(database.db, {
      recipients: ["a@example.test", "B@Example.test"],
      first_send_at: T0,
      periodicity: "daily",
    });
    const tick = await sut.tick();

    expect(tick.created).toHaveLength(1);
    const [run] = await runsOf(mailing.id);
    expect(run).toMatchObject({ trigger: "schedule", status: "sending", scheduled_for: T0, total_count: 2 });
    const deliveries = await database.db.selectFrom("deliveries").selectAll().orderBy("id").execute();
    expect(deliveries.map((d) => [d.recipient_id, d.email, d.status])).toEqual([
      [recipients[0]!.id, "a@example.test", "pending"],
      [recipients[1]!.id, "B@Example.test", "pending"],
    ]);
    expect(await mailingRow(mailing.id)).toMatchObject({
      status: "running",
      next_run_at: "2027-03-11T09:00:00.000Z",
      last_run_at: T0,
    });
  });

  it("gives a mailing that missed runs during downtime one catch-up run, not a burst", async () => {
    const { mailing } = await seedMailing(database.db, {
      recipients: 3,
      first_send_at: "2027-03-01T09:00:00.000Z",
      periodicity: "daily",
    });
    clock.set("2027-03-10T12:00:00.000Z");
    expect((await sut.tick()).created).toHaveLength(1);
    expect((await sut.tick()).created).toHaveLength(0);
    expect(await runsOf(mailing.id)).toHaveLength(1);
    expect((await mailingRow(mailing.id)).next_run_at).toBe("2027-03-11T09:00:00.000Z");
  });

  it("never has two runs sending at once: a due mailing waits for its run to finish", async () => {
    const { mailing } = await seedMailing(database.db, {
      recipients: 2,
      first_send_at: T0,
      periodicity: "daily",
    });
    const [first] = (await sut.tick()).created;
    clock.set("2027-03-11T09:00:00.000Z");
    const waiting = await sut.tick();
    expect(waiting.created).toEqual([]);
    await completeRun(first!);
    clock.set("2027-03-11T09:05:00.000Z");
    expect((await sut.tick()).created).toHaveLength(1);
    expect(await runsOf(mailing.id)).toHaveLength(2);
  });

  it("two schedulers ticking at once create the run once", async () => {
    const { mailing } = await seedMailing(database.db, {
      recipients: 5,
      first_send_at: T0,
      periodicity: "weekly",
    });
    const other = new Scheduler({ store: new KyselyRunsStore(database), clock, intervalMs: 1000 });
    const ticks = await Promise.all([sut.tick(), other.tick(), sut.tick(), other.tick()]);

    expect(ticks.flatMap((t) => t.created)).toHaveLength(1);
    expect(await runsOf(mailing.id)).toHaveLength(1);
    expect(await database.db.selectFrom("deliveries").selectAll().execute()).toHaveLength(5);
  });

  it("refuses a second run for the same occurrence (unique mailing + scheduled_for)", async () => {
    const { mailing } = await seedMailing(database.db, {
      recipients: 1,
      first_send_at: T0,
      periodicity: "daily",
    });
    const [runId] = (await sut.tick()).created;
    await completeRun(runId!);
    // Someone put next_run_at back on the occurrence that was already served.
    await database.db.updateTable("mailings").set({ next_run_at: T0 }).where("id", "=", mailing.id).execute();
    const tick = await sut.tick();
    expect(tick.created).toEqual([]);
    expect(tick.skipped).toEqual([{ mailingId: mailing.id, reason: "duplicate" }]);
    expect((await mailingRow(mailing.id)).next_run_at).toBe("2027-03-11T09:00:00.000Z");
  });

  it("does not send a disabled mailing, nor the mailings of a blocked user", async () => {
    const disabled = await seedMailing(database.db, { recipients: 1, first_send_at: T0, disabled_at: T0 });
    const blocked = await seedMailing(database.db, { recipients: 1, first_send_at: T0 });
    await database.db
      .updateTable("users")
      .set({ blocked_at: T0 })
      .where("id", "=", blocked.user.id)
      .execute();
    expect((await sut.tick()).created).toEqual([]);
    expect(await database.db.selectFrom("runs").selectAll().execute()).toEqual([]);
    expect((await mailingRow(disabled.mailing.id)).status).toBe("created");
  });

  it("does not send before the first send time, then sends on time", async () => {
    const { mailing } = await seedMailing(database.db, {
      recipients: 1,
      first_send_at: "2027-03-10T10:00:00.000Z",
    });
    expect((await sut.tick()).created).toEqual([]);
    clock.set("2027-03-10T10:00:00.000Z");
    expect((await sut.tick()).created).toHaveLength(1);
    expect((await mailingRow(mailing.id)).next_run_at).toBeNull();
  });

  it("completes a one-off mailing when its run finishes", async () => {
    const { mailing } = await seedMailing(database.db, {
      recipients: 2,
      first_send_at: T0,
      periodicity: "once",
    });
    const [runId] = (await sut.tick()).created;
    expect((await mailingRow(mailing.id)).status).toBe("running");
    await completeRun(runId!);
    expect((await mailingRow(mailing.id)).status).toBe("completed");
  });

  it("completes a repeating mailing promptly when its end passes, once no run is sending", async () => {
    const { mailing } = await seedMailing(database.db, {
      recipients: 1,
      first_send_at: T0,
      end_at: "2027-03-12T00:00:00.000Z",
      periodicity: "daily",
    });
    const [runId] = (await sut.tick()).created;
    clock.set("2027-03-11T09:00:00.000Z");
    await completeRun(runId!);
    expect((await mailingRow(mailing.id)).status).toBe("running");
    expect((await sut.tick()).created).toHaveLength(1);
    expect((await mailingRow(mailing.id)).next_run_at).toBeNull();
    clock.set("2027-03-12T00:00:01.000Z");
    expect((await sut.tick()).completed).toBe(0); // its last run is still sending
    const runs = await runsOf(mailing.id);
    await completeRun(runs[1]!.id);
    expect((await mailingRow(mailing.id)).status).toBe("completed");
  });

  it("completes a mailing whose end passed during downtime without a late run", async () => {
    const { mailing } = await seedMailing(database.db, {
      recipients: 1,
      first_send_at: T0,
      end_at: "2027-03-12T00:00:00.000Z",
      periodicity: "daily",
    });
    clock.set("2027-04-01T00:00:00.000Z");
    const tick = await sut.tick();
    expect(tick.created).toEqual([]);
    expect(tick.completed).toBe(1);
    expect(await mailingRow(mailing.id)).toMatchObject({ status: "completed", next_run_at: null });
  });

  it("gives no run to a mailing without recipients, and sends once recipients are added", async () => {
    const user = await createUser(database.db);
    const message = await createMessage(database.db, user.id);
    const mailing = await createMailing(database.db, {
      ownerId: user.id,
      messageId: message.id,
      first_send_at: T0,
    });
    expect((await sut.tick()).created).toEqual([]);
    expect((await mailingRow(mailing.id)).next_run_at).toBe(T0);
    const [recipient] = await createRecipients(database.db, user.id, ["late@example.test"]);
    await database.db
      .insertInto("mailing_recipients")
      .values({ mailing_id: mailing.id, recipient_id: recipient!.id })
      .execute();
    clock.advance(60_000);
    expect((await sut.tick()).created).toHaveLength(1);
  });

  it("finishes a run a dead worker left sending with nothing open", async () => {
    const { mailing } = await seedMailing(database.db, { recipients: 2, first_send_at: T0 });
    const [runId] = (await sut.tick()).created;
    await database.db
      .updateTable("deliveries")
      .set({ status: "sent" })
      .where("run_id", "=", runId!)
      .execute();
    expect((await sut.tick()).finished).toEqual([runId]);
    expect((await runsOf(mailing.id))[0]).toMatchObject({ status: "success", sent_count: 2 });
  });

  it("keeps past deliveries when a recipient is deleted", async () => {
    const { recipients } = await seedMailing(database.db, { recipients: 2, first_send_at: T0 });
    await sut.tick();
    await database.db.deleteFrom("recipients").where("id", "=", recipients[0]!.id).execute();
    const rows = await database.db.selectFrom("deliveries").selectAll().orderBy("id").execute();
    expect(rows.map((d) => [d.recipient_id, d.email])).toEqual([
      [null, "r1@example.test"],
      [recipients[1]!.id, "r2@example.test"],
    ]);
  });
});
