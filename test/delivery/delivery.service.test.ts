import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { DeliveryService } from "../../src/delivery/delivery.service.js";
import { KyselyDeliveryStore } from "../../src/delivery/delivery.store.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../../src/shared/errors.js";
import { testDatabase } from "../helpers/db.js";
import { createUser, seedMailing } from "../helpers/fixtures.js";
import { FakeClock } from "./support.js";

const T0 = "2027-03-10T09:00:00.000Z";

describe(DeliveryService.name, () => {
  let database: Database;
  let clock: FakeClock;
  let sut: DeliveryService;

  beforeEach(async () => {
    database = await testDatabase();
    clock = new FakeClock(Date.parse(T0));
    sut = new DeliveryService(database, { mode: "outbox", clock });
  });
  afterEach(async () => database.close());

  async function setOutcome(runId: number, email: string, status: "sent" | "failed", text = "250 Ok") {
    await database.db
      .updateTable("deliveries")
      .set({ status, last_code: Number(text.slice(0, 3)), last_text: text })
      .where("run_id", "=", runId)
      .where("email", "=", email)
      .execute();
  }
  const finish = (runId: number) => new KyselyDeliveryStore(database).finishRunsIfDone([runId], clock.now());

  it("sends now for the owner, with the trigger and the actor recorded", async () => {
    const { user, mailing } = await seedMailing(database.db, {
      recipients: 3,
      first_send_at: "2027-04-01T00:00:00Z",
    });
    const run = await sut.sendNow({ id: user.id, role: "user" }, mailing.id, "web");
    expect(run).toMatchObject({ trigger: "web", actor_user_id: user.id, status: "sending", total_count: 3 });
    const details = await sut.getRun({ id: user.id, role: "user" }, run.id);
    expect(details.progress).toMatchObject({ total: 3, pending: 3, sent: 0, done: false });
    expect(details.mailing_name).toBe("Test mailing");
  });

  it("refuses a second run while one is sending, an empty or disabled mailing, and strangers", async () => {
    const { user, mailing } = await seedMailing(database.db, { recipients: 1 });
    const owner = { id: user.id, role: "user" as const };
    await sut.sendNow(owner, mailing.id, "cli");
    clock.advance(1000);
    await expect(sut.sendNow(owner, mailing.id, "web")).rejects.toThrow(ConflictError);

    const stranger = await createUser(database.db);
    await expect(sut.sendNow({ id: stranger.id, role: "user" }, mailing.id, "web")).rejects.toThrow(
      NotFoundError,
    );
    await expect(sut.sendNow({ id: stranger.id, role: "manager" }, mailing.id, "web")).rejects.toThrow(
      ForbiddenError,
    );

    const empty = await seedMailing(database.db, { recipients: [] });
    await expect(sut.sendNow(null, empty.mailing.id, "cli")).rejects.toThrow(/no recipients/);
    const disabled = await seedMailing(database.db, { recipients: 1, disabled_at: T0 });
    await expect(sut.sendNow(null, disabled.mailing.id, "cli")).rejects.toThrow(/disabled/);
  });

  it("lists a run's deliveries by status and retries the failed ones of a finished run", async () => {
    const { user, mailing } = await seedMailing(database.db, { recipients: 3 });
    const owner = { id: user.id, role: "user" as const };
    const run = await sut.sendNow(owner, mailing.id, "web");
    await expect(sut.retryFailed(owner, run.id)).rejects.toThrow(/still sending/);
    await setOutcome(run.id, "r1@example.test", "sent");
    await setOutcome(run.id, "r2@example.test", "failed", "550 5.1.1 unknown user");
    await setOutcome(run.id, "r3@example.test", "failed", "550 5.1.1 unknown user");
    await finish(run.id);

    const failed = await sut.listDeliveries(owner, run.id, { status: "failed" });
    expect(failed.items.map((d) => d.email)).toEqual(["r2@example.test", "r3@example.test"]);
    const finished = await sut.getRun(owner, run.id);
    expect(finished).toMatchObject({ status: "failure", sent_count: 1, failed_count: 2 });
    expect(finished.summary).toEqual({
      codes: { "250": 1, "550": 2 },
      failures: [{ text: "550 5.1.1 unknown user", count: 2 }],
    });

    const retried = await sut.retryFailed(owner, run.id);
    expect(retried.status).toBe("sending");
    expect(retried.progress).toMatchObject({ pending: 2, sent: 1, failed: 0 });
    await setOutcome(run.id, "r2@example.test", "sent");
    await setOutcome(run.id, "r3@example.test", "sent");
    await finish(run.id);
    expect(await sut.getRun(owner, run.id)).toMatchObject({
      status: "success",
      sent_count: 3,
      failed_count: 0,
    });
    await expect(sut.retryFailed(owner, run.id)).rejects.toThrow(/no failed deliveries/);
  });

  it("reports runs and messages per month for the user", async () => {
    const { user, mailing } = await seedMailing(database.db, { recipients: 2 });
    const owner = { id: user.id, role: "user" as const };
    const run = await sut.sendNow(owner, mailing.id, "web");
    await setOutcome(run.id, "r1@example.test", "sent");
    await setOutcome(run.id, "r2@example.test", "failed", "554 rejected");
    await finish(run.id);
    clock.set("2027-04-02T00:00:00.000Z");
    const second = await sut.sendNow(owner, mailing.id, "api");
    await database.db
      .updateTable("deliveries")
      .set({ status: "sent" })
      .where("run_id", "=", second.id)
      .execute();
    await finish(second.id);

    expect(await sut.report(owner)).toEqual([
      { month: "2027-03", runs: 1, successRuns: 0, failureRuns: 1, sent: 1, failed: 1 },
      { month: "2027-04", runs: 1, successRuns: 1, failureRuns: 0, sent: 2, failed: 0 },
    ]);
    const other = await createUser(database.db);
    expect(await sut.report({ id: other.id, role: "user" })).toEqual([]);
    expect(await sut.report({ id: other.id, role: "admin" })).toHaveLength(2);
  });

  it("shows the outbox to admins only", async () => {
    await database.db
      .insertInto("outbox_messages")
      .values({
        delivery_id: null,
        from_address: "a@b.c",
        to_address: "x@y.z",
        subject: "Hi",
        raw: "raw",
        created_at: T0,
      })
      .execute();
    const admin = await createUser(database.db, { role: "admin" });
    const page = await sut.listOutbox({ id: admin.id, role: "admin" });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).not.toHaveProperty("raw");
    expect((await sut.getOutboxMessage({ id: admin.id, role: "admin" }, page.items[0]!.id)).raw).toBe("raw");
    await expect(sut.listOutbox({ id: admin.id, role: "manager" })).rejects.toThrow(ForbiddenError);
  });

  it("says when sending is paused and why, from the workers' heartbeats", async () => {
    expect(await sut.status()).toEqual({
      mode: "outbox",
      workers: 0,
      paused: false,
      reason: null,
      resumesAt: null,
    });
    await database.db
      .insertInto("delivery_workers")
      .values({
        worker_id: "w1",
        host: "h",
        pid: 1,
        state: "paused",
        reason: "connect ECONNREFUSED 127.0.0.1:25",
        paused_until: "2027-03-10T09:01:00.000Z",
        started_at: T0,
        heartbeat_at: T0,
      })
      .execute();
    expect(await sut.status()).toMatchObject({
      workers: 1,
      paused: true,
      reason: "connect ECONNREFUSED 127.0.0.1:25",
    });
    clock.advance(60_000);
    expect(await sut.status()).toMatchObject({ workers: 0, paused: false });
  });

  it("lists the next planned sends in the mailing's zone", async () => {
    const { user, mailing } = await seedMailing(database.db, {
      recipients: 1,
      first_send_at: "2027-03-27T08:00:00.000Z",
      periodicity: "daily",
      time_zone: "Europe/Berlin",
    });
    const next = await sut.upcoming({ id: user.id, role: "user" }, mailing.id, 3);
    expect(next.map((d) => d.toISOString())).toEqual([
      "2027-03-27T08:00:00.000Z",
      "2027-03-28T07:00:00.000Z",
      "2027-03-29T07:00:00.000Z",
    ]);
  });
});
