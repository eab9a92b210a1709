/**
 * Runs filled a chunk per transaction (issue 13): the run row first, nothing claimable while its deliveries
 * are inserted, resumable after a crash without a duplicate or a lost recipient, busy meanwhile, and "retry
 * failed" put back in chunks. On SQLite, and on PostgreSQL with TEST_DATABASE_URL.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { DeliveryService } from "../../src/delivery/delivery.service.js";
import { KyselyDeliveryStore } from "../../src/delivery/delivery.store.js";
import { HELD_UNTIL, RunPreparation } from "../../src/delivery/preparation.store.js";
import { RunPreparer } from "../../src/delivery/preparer.js";
import { ConflictError } from "../../src/shared/errors.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { deliveriesOf, FakeClock, runRow } from "./support.js";

const T0 = "2027-03-10T09:00:00.000Z";
const CHUNK = 4;

describe(RunPreparation.name, () => {
  let database: Database;
  let clock: FakeClock;
  let service: DeliveryService;
  let sut: RunPreparation;
  let store: KyselyDeliveryStore;

  beforeEach(async () => {
    database = await testDatabase();
    clock = new FakeClock(Date.parse(T0));
    // The web of `serve`: it creates the run row and leaves the deliveries to the engine.
    service = new DeliveryService(database, { mode: "outbox", clock, prepareRuns: "engine" });
    sut = new RunPreparation(database, { chunkSize: CHUNK });
    store = new KyselyDeliveryStore(database);
  });
  afterEach(async () => database.close());

  /** A mailing of 10 recipients, two of them suppressed, and its run as "Send now" leaves it. */
  async function preparingRun() {
    const seeded = await seedMailing(database.db, { recipients: 10 });
    await database.db
      .insertInto("suppressions")
      .values(
        [seeded.recipients[2]!, seeded.recipients[7]!].map((r) => ({
          owner_id: seeded.user.id,
          email: r.email,
          email_normalized: r.email_normalized,
          reason: "unsubscribed" as const,
          source: "manual" as const,
          delivery_id: null,
          run_id: null,
          mailing_id: null,
          comment: null,
          created_at: T0,
        })),
      )
      .execute();
    const run = await service.sendNow({ id: seeded.user.id, role: "user" }, seeded.mailing.id, "web");
    return { ...seeded, run };
  }

  const claimable = async () => store.claim("w", 100, new Date(Date.parse(T0) + 60_000), new Date(2e12));

  it("creates the run row first, then inserts its deliveries a chunk at a time, none due until released", async () => {
    const { run, user } = await preparingRun();
    expect(run).toMatchObject({ status: "sending", preparing: "audience", total_count: 0 });
    expect(await deliveriesOf(database, run.id)).toHaveLength(0);

    expect(await sut.chunk(run.id, clock.now())).toBe("more");
    expect(await deliveriesOf(database, run.id)).toHaveLength(CHUNK);
    expect(await sut.chunk(run.id, clock.now())).toBe("more");
    const midway = await runRow(database, run.id);
    expect(midway).toMatchObject({ preparing: "audience", total_count: 2 * CHUNK });
    // Nothing of a run being prepared can be claimed or finished, and its page says so.
    expect(await claimable()).toEqual([]);
    expect(await store.finishRunsIfDone([run.id], clock.now())).toEqual([]);
    const page = await service.getRun({ id: user.id, role: "user" }, run.id);
    expect(page.outcome_label).toBe("Preparing… 8");
    expect(page.progress).toMatchObject({ done: false, preparing: { inserted: 8, expected: null } });

    expect(await sut.prepare(run.id, () => clock.now())).toBe(true);
    const ready = await runRow(database, run.id);
    // Counted when this prepare began, after two chunks: the audience's size then.
    expect(ready).toMatchObject({ preparing: null, total_count: 10, expected_count: 10 });
    const rows = await deliveriesOf(database, run.id);
    expect(rows.map((d) => d.status).sort()).toEqual([
      ...Array(8).fill("pending"),
      "suppressed",
      "suppressed",
    ]);
    expect(rows.filter((d) => d.status === "pending").every((d) => d.next_attempt_at === T0)).toBe(true);
    expect(await claimable()).toHaveLength(8);
  });

  it("counts the audience once before the first chunk: 'Preparing… N of about M'", async () => {
    const { run, user } = await preparingRun();
    const preparer = new RunPreparation(database, { chunkSize: CHUNK });
    // stop after the first chunk
    expect(
      await preparer.prepare(
        run.id,
        () => clock.now(),
        () => true,
      ),
    ).toBe(false);
    const page = await service.getRun({ id: user.id, role: "user" }, run.id);
    expect(page.outcome_label).toBe("Preparing… 4 of about 10");
    expect((await runRow(database, run.id)).expected_count).toBe(10);
  });

  it("resumes after a crash mid-preparation: every recipient once, nobody twice", async () => {
    const { run, recipients } = await preparingRun();
    await sut.chunk(run.id, clock.now());
    await sut.chunk(run.id, clock.now());
    // A recipient joins behind the walk (a lower id cannot be made; a new one has a higher id and is in),
    // and the engine that was preparing is gone: a new one finds the run and finishes it.
    const [late] = await database.db
      .insertInto("recipients")
      .values({
        owner_id: recipients[0]!.owner_id,
        email: "late@example.test",
        email_normalized: "late@example.test",
        full_name: "",
        comment: "",
        created_at: T0,
        updated_at: T0,
      })
      .returning("id")
      .execute();
    await database.db
      .insertInto("mailing_recipients")
      .values({ mailing_id: run.mailing_id, recipient_id: late!.id })
      .execute();
    const restarted = new RunPreparer({
      preparation: new RunPreparation(database, { chunkSize: CHUNK }),
      clock,
      intervalMs: 60_000,
    });
    expect(await restarted.tick()).toEqual([run.id]);
    const rows = await deliveriesOf(database, run.id);
    const ids = rows.map((d) => d.recipient_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort((a, b) => a! - b!)).toEqual([...recipients.map((r) => r.id), late!.id]);
    expect(await runRow(database, run.id)).toMatchObject({ preparing: null, total_count: 11 });
    expect(await restarted.tick()).toEqual([]);
  });

  it("two engines preparing the same run take turns: the total is exact and nobody is added twice", async () => {
    const { run } = await preparingRun();
    const other = new RunPreparation(database, { chunkSize: 3 });
    await Promise.all([sut.prepare(run.id, () => clock.now()), other.prepare(run.id, () => clock.now())]);
    const rows = await deliveriesOf(database, run.id);
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((d) => d.recipient_id)).size).toBe(10);
    expect((await runRow(database, run.id)).total_count).toBe(10);
    expect(rows.filter((d) => d.status === "pending" && d.next_attempt_at === HELD_UNTIL)).toEqual([]);
  });

  it("refuses a second Send now while the first run is being prepared, also when both come at once", async () => {
    const { run, user, mailing } = await preparingRun();
    const owner = { id: user.id, role: "user" as const };
    clock.advance(1_000);
    await expect(service.sendNow(owner, mailing.id, "web")).rejects.toThrow(ConflictError);
    await sut.prepare(run.id, () => clock.now());

    const second = await seedMailing(database.db, { recipients: 3 });
    const other = { id: second.user.id, role: "user" as const };
    const both = await Promise.allSettled([
      service.sendNow(other, second.mailing.id, "web"),
      service.sendNow(other, second.mailing.id, "api"),
    ]);
    expect(both.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = both.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(ConflictError);
  });

  it("a run cancelled while being prepared adds nobody more, sends nothing and finishes cancelled", async () => {
    const { run, user } = await preparingRun();
    await sut.chunk(run.id, clock.now());
    await service.cancel({ id: user.id, role: "user" }, run.id);
    await sut.prepare(run.id, () => clock.now());
    const rows = await deliveriesOf(database, run.id);
    expect(rows).toHaveLength(CHUNK);
    expect(rows.filter((d) => d.status === "pending")).toEqual([]);
    expect(await claimable()).toEqual([]);
    expect(await runRow(database, run.id)).toMatchObject({ preparing: null, cancelled_count: 3 });
    expect((await runRow(database, run.id)).status).not.toBe("sending");
  });

  it("finishes a run whose recipients are all suppressed once it is prepared", async () => {
    const { user, recipients, mailing } = await seedMailing(database.db, { recipients: 2 });
    await database.db
      .insertInto("suppressions")
      .values(
        recipients.map((r) => ({
          owner_id: user.id,
          email: r.email,
          email_normalized: r.email_normalized,
          reason: "hard_bounce" as const,
          source: "manual" as const,
          delivery_id: null,
          run_id: null,
          mailing_id: null,
          comment: null,
          created_at: T0,
        })),
      )
      .execute();
    const run = await service.sendNow({ id: user.id, role: "user" }, mailing.id, "web");
    // With nothing open and preparation left, the scheduler's sweep must not finish it early.
    expect(await store.finishStaleRuns(clock.now())).toEqual([]);
    await sut.prepare(run.id, () => clock.now());
    expect(await runRow(database, run.id)).toMatchObject({
      status: "success",
      total_count: 2,
      sent_count: 0,
    });
  });

  it("retries a finished run's failed deliveries in chunks, off the request; the run finishes only after", async () => {
    const { run, user } = await preparingRun();
    await sut.prepare(run.id, () => clock.now());
    await database.db
      .updateTable("deliveries")
      .set({ status: "failed", tries: 3, last_code: 550, last_text: "550 no" })
      .where("run_id", "=", run.id)
      .where("status", "=", "pending")
      .execute();
    await store.finishRunsIfDone([run.id], clock.now());
    expect((await runRow(database, run.id)).status).toBe("failure");

    const owner = { id: user.id, role: "user" as const };
    await service.retryFailed(owner, run.id);
    expect(await runRow(database, run.id)).toMatchObject({ status: "sending", preparing: "retry" });
    await expect(service.retryFailed(owner, run.id)).rejects.toThrow(/already being sent again/);
    await sut.chunk(run.id, clock.now());
    const partly = await deliveriesOf(database, run.id);
    expect(partly.filter((d) => d.status === "pending")).toHaveLength(CHUNK);
    // The run has nothing open for a moment (the first chunk sent), yet it is not finished before the rest.
    await database.db
      .updateTable("deliveries")
      .set({ status: "sent" })
      .where("run_id", "=", run.id)
      .where("status", "=", "pending")
      .execute();
    expect(await store.finishRunsIfDone([run.id], clock.now())).toEqual([]);
    await sut.prepare(run.id, () => clock.now());
    const rows = await deliveriesOf(database, run.id);
    expect(rows.filter((d) => d.status === "pending").map((d) => d.tries)).toEqual([0, 0, 0, 0]);
    expect(rows.filter((d) => d.status === "failed")).toEqual([]);
    expect((await runRow(database, run.id)).preparing).toBeNull();
  });
});
