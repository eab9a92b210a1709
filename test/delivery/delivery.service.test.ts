import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import type { DeliveryAttempt } from "../../src/db/schema.js";
import { ATTEMPTS_SHOWN, DeliveryService } from "../../src/delivery/delivery.service.js";
import { KyselyDeliveryStore } from "../../src/delivery/delivery.store.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../../src/shared/errors.js";
import { onPostgres, testDatabase } from "../helpers/db.js";
import { createUser, insertWorkerBeat, seedMailing } from "../helpers/fixtures.js";
import { eventually, FakeClock } from "./support.js";

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
    // Still sending with nothing failed yet: nothing to retry.
    await expect(sut.retryFailed(owner, run.id)).rejects.toThrow(/no failed deliveries/);
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
      failures: [{ code: 550, enhanced: null, text: "550 5.1.1 unknown user", count: 2 }],
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

  /** One try of the delivery of `email` in the run, as the worker records it. */
  async function addAttempt(
    runId: number,
    email: string,
    attempt: Partial<Omit<DeliveryAttempt, "id" | "delivery_id" | "run_id">> = {},
  ) {
    const delivery = await database.db
      .selectFrom("deliveries")
      .select("id")
      .where("run_id", "=", runId)
      .where("email", "=", email)
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto("delivery_attempts")
      .values({
        delivery_id: delivery.id,
        run_id: runId,
        attempted_at: clock.now().toISOString(),
        stage: "rcpt",
        outcome: "failed",
        code: 550,
        enhanced: "5.1.1",
        text: `550 5.1.1 <${email}>: user unknown`,
        relay: "mx.example.test:25",
        ...attempt,
      })
      .execute();
  }
  const attemptRows = (runId: number) =>
    database.db
      .selectFrom("delivery_attempts")
      .selectAll()
      .where("run_id", "=", runId)
      .orderBy("id")
      .execute();

  it("groups a finished run's failures by code and enhanced status, addresses masked", async () => {
    const { user, mailing } = await seedMailing(database.db, { recipients: 4 });
    const run = await sut.sendNow({ id: user.id, role: "user" }, mailing.id, "web");
    await setOutcome(run.id, "r1@example.test", "sent");
    for (const email of ["r2@example.test", "r3@example.test"]) {
      await database.db
        .updateTable("deliveries")
        .set({
          status: "failed",
          last_code: 550,
          last_enhanced: "5.1.1",
          last_text: `550 5.1.1 <${email}>: Recipient address rejected: User unknown`,
        })
        .where("run_id", "=", run.id)
        .where("email", "=", email)
        .execute();
    }
    await database.db
      .updateTable("deliveries")
      .set({
        status: "failed",
        last_code: null,
        last_enhanced: null,
        last_text: "Gave up: connect ETIMEDOUT",
      })
      .where("run_id", "=", run.id)
      .where("email", "=", "r4@example.test")
      .execute();
    await finish(run.id);
    const details = await sut.getRun(null, run.id);
    expect(details).toMatchObject({ outcome: "partly_failed", outcome_label: "Partly failed (3)" });
    expect(details.summary).toEqual({
      codes: { "250": 1, "550": 2, none: 1 },
      failures: [
        {
          code: 550,
          enhanced: "5.1.1",
          text: "550 5.1.1 <…>: Recipient address rejected: User unknown",
          count: 2,
        },
        { code: null, enhanced: null, text: "Gave up: connect ETIMEDOUT", count: 1 },
      ],
    });
  });

  it("lists each delivery's tries oldest first, the last 20 at most, and counts the earlier ones", async () => {
    const { user, mailing } = await seedMailing(database.db, { recipients: 3 });
    const owner = { id: user.id, role: "user" as const };
    const run = await sut.sendNow(owner, mailing.id, "web");
    for (let i = 1; i <= ATTEMPTS_SHOWN + 5; i++) {
      await addAttempt(run.id, "r1@example.test", { outcome: "retry", code: 450, text: `450 try ${i}` });
      clock.advance(1000);
    }
    await addAttempt(run.id, "r2@example.test", {
      outcome: "sent",
      stage: "data",
      code: 250,
      text: "250 Ok",
    });
    const page = await sut.listDeliveries(owner, run.id);
    const [r1, r2, r3] = page.items;
    expect(r1!.attempts).toHaveLength(ATTEMPTS_SHOWN);
    expect(r1!.earlier_attempts).toBe(5);
    expect(r1!.attempts.map((a) => a.text)).toEqual(
      Array.from({ length: ATTEMPTS_SHOWN }, (_, i) => `450 try ${i + 6}`),
    );
    expect(r2!.attempts).toEqual([
      {
        id: expect.any(Number),
        attempted_at: clock.now().toISOString(),
        stage: "data",
        outcome: "sent",
        code: 250,
        enhanced: "5.1.1",
        text: "250 Ok",
        relay: "mx.example.test:25",
      },
    ]);
    expect(r2!.earlier_attempts).toBe(0);
    expect(r3).toMatchObject({ attempts: [], earlier_attempts: 0 });
    // Only the page's deliveries are read.
    const second = await sut.listDeliveries(owner, run.id, { page: 2, pageSize: 2 });
    expect(second.items.map((d) => [d.email, d.attempts.length])).toEqual([["r3@example.test", 0]]);
    // The web pages by cursor: Next after the first page, Previous back to it, counts from the run.
    const first = await sut.listDeliveries(owner, run.id, { pageSize: 2 });
    expect(first.total).toBe(3);
    expect(first.cursors?.prev).toBeNull();
    const next = await sut.listDeliveries(owner, run.id, { pageSize: 2, after: first.cursors!.next! });
    expect(next.items.map((d) => d.email)).toEqual(["r3@example.test"]);
    expect(next.cursors?.next).toBeNull();
    const back = await sut.listDeliveries(owner, run.id, { pageSize: 2, before: next.cursors!.prev! });
    expect(back.items.map((d) => d.email)).toEqual(first.items.map((d) => d.email));
    // By status: a bounded count of that status only.
    const sent = await sut.listDeliveries(owner, run.id, { status: "sent", pageSize: 2 });
    expect(sent.total).toBe(sent.items.length);
    expect(sent.items.every((d) => d.status === "sent")).toBe(true);
  });

  it("retries the failed deliveries now while others wait for a retry, keeping their tries", async () => {
    const { user, mailing } = await seedMailing(database.db, { recipients: 3 });
    const owner = { id: user.id, role: "user" as const };
    const run = await sut.sendNow(owner, mailing.id, "web");
    expect((await sut.getRun(owner, run.id)).next_retry_at).toBeNull(); // due now: nothing waits
    await setOutcome(run.id, "r1@example.test", "sent");
    await setOutcome(run.id, "r2@example.test", "failed", "550 5.1.1 unknown user");
    await addAttempt(run.id, "r2@example.test");
    const retryAt = new Date(clock.now().getTime() + 5 * 60_000).toISOString();
    await database.db
      .updateTable("deliveries")
      .set({ tries: 1, next_attempt_at: retryAt, last_code: 451, last_text: "451 4.3.0 try later" })
      .where("run_id", "=", run.id)
      .where("email", "=", "r3@example.test")
      .execute();
    await addAttempt(run.id, "r3@example.test", { outcome: "retry", code: 451, text: "451 4.3.0 try later" });
    await finish(run.id); // not finished: r3 is pending

    const waiting = await sut.getRun(owner, run.id);
    expect(waiting).toMatchObject({ status: "sending", outcome: "sending", next_retry_at: retryAt });
    expect(waiting.progress).toMatchObject({ sent: 1, failed: 1, pending: 1 });

    const retried = await sut.retryFailed(owner, run.id);
    expect(retried.status).toBe("sending");
    expect(retried.progress).toMatchObject({ sent: 1, failed: 0, pending: 2 });
    expect(retried.next_retry_at).toBeNull(); // r2 is due now
    const r2 = (await sut.listDeliveries(owner, run.id)).items[1]!;
    expect(r2).toMatchObject({ status: "pending", tries: 0, next_attempt_at: T0 });
    expect(r2.attempts).toHaveLength(1);
    expect(await attemptRows(run.id)).toHaveLength(2);
    await expect(sut.retryFailed(owner, run.id)).rejects.toThrow(/no failed deliveries/);

    // A finished run's retry adds to the history too: nothing is deleted or overwritten.
    await setOutcome(run.id, "r2@example.test", "failed", "550 5.1.1 unknown user");
    await setOutcome(run.id, "r3@example.test", "sent");
    await finish(run.id);
    expect(await sut.getRun(owner, run.id)).toMatchObject({ status: "failure", next_retry_at: null });
    const before = await attemptRows(run.id);
    await sut.retryFailed(owner, run.id);
    expect(await attemptRows(run.id)).toEqual(before);
    expect(await sut.getRun(owner, run.id)).toMatchObject({ status: "sending", summary: null });
  });

  // Needs two connections at once (SQLite's single connection runs one transaction at a time anyway).
  it.skipIf(!onPostgres)("lets a retry wait for a finish in progress, not deadlock with it", async () => {
    // A one-off mailing with nothing more planned: finishing its run also writes (locks) the mailing row.
    const { user, mailing } = await seedMailing(database.db, { recipients: 2, next_run_at: null });
    const owner = { id: user.id, role: "user" as const };
    const run = await sut.sendNow(owner, mailing.id, "web");
    await setOutcome(run.id, "r1@example.test", "sent");
    await setOutcome(run.id, "r2@example.test", "failed", "550 5.1.1 unknown user");
    // A finish in progress, in finishRun's lock order: the run row, then (later) the mailing row.
    let holding!: () => void;
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    let go!: () => void;
    const proceed = new Promise<void>((resolve) => {
      go = resolve;
    });
    const finishing = database.db.transaction().execute(async (tx) => {
      await tx
        .updateTable("runs")
        .set((eb) => ({ finished_at: eb.ref("finished_at") }))
        .where("id", "=", run.id)
        .execute();
      holding();
      await proceed;
      const at = clock.now().toISOString();
      await tx
        .updateTable("runs")
        .set({ status: "failure", finished_at: at, sent_count: 1, failed_count: 1 })
        .where("id", "=", run.id)
        .execute();
      await tx.updateTable("mailings").set({ status: "completed" }).where("id", "=", mailing.id).execute();
    });
    await held;
    const retry = sut.retryFailed(owner, run.id);
    // Once the retry waits for a lock, let the finish take the mailing row.
    await eventually(async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(database.db);
      return rows[0]!.n > 0;
    });
    go();
    await finishing;
    // The retry then found the run finished and sent it again, as for any finished run.
    expect(await retry).toMatchObject({ status: "sending", progress: { sent: 1, failed: 0, pending: 1 } });
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
      {
        month: "2027-03",
        runs: 1,
        successRuns: 0,
        failureRuns: 1,
        sent: 1,
        failed: 1,
        suppressed: 0,
        bounced: 0,
        unsubscribed: 0,
        cancelled: 0,
      },
      {
        month: "2027-04",
        runs: 1,
        successRuns: 1,
        failureRuns: 0,
        sent: 2,
        failed: 0,
        suppressed: 0,
        bounced: 0,
        unsubscribed: 0,
        cancelled: 0,
      },
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
      relays: {},
      slowedDomains: [],
    });
    await insertWorkerBeat(database.db, {
      state: "paused",
      reason: "connect ECONNREFUSED 127.0.0.1:25",
      paused_until: "2027-03-10T09:01:00.000Z",
      started_at: T0,
      heartbeat_at: T0,
    });
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
