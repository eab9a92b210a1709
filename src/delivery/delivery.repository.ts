/** SQL behind DeliveryService's reads and the "retry failed" write. */
import { sql } from "kysely";
import type { Db, Executor } from "../db/database.js";
import { boundedCount, seekPage } from "../db/keyset.js";
import type { DeliveryStatus, Run } from "../db/schema.js";
import { likePattern, MATCH_CAP, type Seek } from "../shared/pagination.js";
import { HELD_UNTIL } from "./preparation.store.js";

export type StatusCounts = Record<DeliveryStatus, number>;

export const emptyCounts = (): StatusCounts => ({
  pending: 0,
  sending: 0,
  sent: 0,
  failed: 0,
  suppressed: 0,
  cancelled: 0,
});

export class DeliveryRepository {
  constructor(private readonly db: Db) {}

  findMailing(id: number, db: Executor = this.db) {
    return db
      .selectFrom("mailings")
      .innerJoin("users", "users.id", "mailings.owner_id")
      .select([
        "mailings.id",
        "mailings.owner_id",
        "mailings.name",
        "mailings.status",
        "mailings.disabled_at",
        "mailings.next_run_at",
        "mailings.first_send_at",
        "mailings.end_at",
        "mailings.periodicity",
        "mailings.time_zone",
        "users.blocked_at as owner_blocked_at",
        "users.email_confirmed_at as owner_confirmed_at",
      ])
      .where("mailings.id", "=", id)
      .executeTakeFirst();
  }

  findRun(id: number, db: Executor = this.db) {
    return db
      .selectFrom("runs")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .selectAll("runs")
      .select([
        "mailings.owner_id",
        "mailings.name as mailing_name",
        "mailings.send_window",
        "mailings.time_zone as mailing_zone",
      ])
      .where("runs.id", "=", id)
      .executeTakeFirst();
  }

  async runsOfMailing(
    mailingId: number,
    limit: number,
    offset: number,
  ): Promise<{ items: Run[]; total: number }> {
    const items = await this.db
      .selectFrom("runs")
      .selectAll()
      .where("mailing_id", "=", mailingId)
      .orderBy("started_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .offset(offset)
      .execute();
    return { items, total: await this.countRuns(mailingId) };
  }

  async countRuns(mailingId: number): Promise<number> {
    const total = await this.db
      .selectFrom("runs")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("mailing_id", "=", mailingId)
      .executeTakeFirstOrThrow();
    return Number(total.n);
  }

  /** The API's keyset page of a mailing's runs in id order, over runs_mailing_id_idx (mailing_id, id). */
  runsKeyset(mailingId: number, dir: "asc" | "desc", afterId: number | null, limit: number): Promise<Run[]> {
    return this.db
      .selectFrom("runs")
      .selectAll()
      .where("mailing_id", "=", mailingId)
      .$if(afterId !== null, (qb) => qb.where("id", dir === "asc" ? ">" : "<", afterId!))
      .orderBy("id", dir)
      .limit(limit + 1)
      .execute();
  }

  /**
   * Live delivery counts by status for the given runs: at most six rows a run from run_counts (its primary
   * key), kept exact by triggers in the transaction of every delivery write (migration 028), never a GROUP BY
   * over the run's deliveries.
   */
  async countsByRun(runIds: number[]): Promise<Map<number, StatusCounts>> {
    const result = new Map<number, StatusCounts>();
    if (runIds.length === 0) return result;
    const rows = await this.db
      .selectFrom("run_counts")
      .select(["run_id", "status", "n"])
      .where("run_id", "in", runIds)
      .execute();
    for (const row of rows) {
      const counts = result.get(row.run_id) ?? emptyCounts();
      counts[row.status] = Number(row.n);
      result.set(row.run_id, counts);
    }
    return result;
  }

  /** A run's deliveries after an id, for the export's keyset walk (deliveries_run_status_idx narrows to the run). */
  deliveriesAfter(runId: number, afterId: number, limit: number) {
    return this.db
      .selectFrom("deliveries")
      .select([
        "id",
        "recipient_id",
        "email",
        "status",
        "tries",
        "last_code",
        "last_enhanced",
        "last_text",
        "sent_at",
        "bounce_type",
        "bounced_at",
      ])
      .where("run_id", "=", runId)
      .where("id", ">", afterId)
      .orderBy("id")
      .limit(limit)
      .execute();
  }

  /** The API's keyset page of a run's deliveries after an id (limit + 1 rows: one more tells a next page). */
  deliveriesKeyset(runId: number, status: DeliveryStatus | undefined, afterId: number, limit: number) {
    return this.db
      .selectFrom("deliveries")
      .selectAll()
      .where("run_id", "=", runId)
      .$if(status !== undefined, (qb) => qb.where("status", "=", status!))
      .where("id", ">", afterId)
      .orderBy("id")
      .limit(limit + 1)
      .execute();
  }

  async countDeliveries(runId: number, status: DeliveryStatus | undefined): Promise<number> {
    const row = await this.db
      .selectFrom("deliveries")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("run_id", "=", runId)
      .$if(status !== undefined, (qb) => qb.where("status", "=", status!))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The live state of the deliveries a run page shows (at most a page of ids, by primary key): what its
   * poll needs to redraw their rows while the run sends.
   */
  liveDeliveries(runId: number, ids: number[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom("deliveries")
      .select(["id", "status", "tries", "sent_at", "last_code", "last_enhanced", "last_text"])
      .where("run_id", "=", runId)
      .where("id", "in", ids)
      .orderBy("id")
      .execute();
  }

  /**
   * A page of a run's deliveries in id order: by keyset from a cursor (deliveries_run_id_idx, or
   * deliveries_run_status_id_idx with a status), or by OFFSET for a numbered page (the JSON API's).
   * Counts: the run's stored total unfiltered, else a count bounded by MATCH_CAP.
   */
  async deliveries(
    runId: number,
    status: DeliveryStatus | undefined,
    limit: number,
    at: { seek: Seek; offset: number },
    runTotal: number,
  ) {
    const base = this.db
      .selectFrom("deliveries")
      .selectAll()
      .where("run_id", "=", runId)
      .$if(status !== undefined, (qb) => qb.where("status", "=", status!));
    const rows =
      at.seek.from === "start" && at.offset > 0
        ? base.orderBy("id").limit(limit).offset(at.offset).execute()
        : seekPage(base, sql.ref("deliveries.id"), "deliveries.id", "asc", at.seek, limit);
    const [items, matching] = await Promise.all([
      rows,
      status === undefined ? { total: runTotal, capped: false } : boundedCount(this.db, base, MATCH_CAP),
    ]);
    return { items, ...matching };
  }

  /**
   * A run's sent and failed deliveries per minute (UTC, "2026-12-02T18:09"), for its chart: the run's rows
   * of run_minutes (kept by triggers, migration 031) by primary key, at most a day of minutes.
   */
  perMinute(runId: number) {
    return this.db
      .selectFrom("run_minutes")
      .where("run_id", "=", runId)
      .where((eb) => eb.or([eb("sent", ">", 0), eb("failed", ">", 0)]))
      .select(["minute", "sent", "failed"])
      .orderBy("minute")
      .limit(1440)
      .execute();
  }

  /** Sent and failed per day (UTC) from the runs' counters, through runs_started_idx; one owner or all. */
  daily(ownerId: number | null, since: string) {
    const day = sql<string>`substr(runs.started_at, 1, 10)`;
    return this.db
      .selectFrom("runs")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .where("runs.started_at", ">=", since)
      .$if(ownerId !== null, (qb) => qb.where("mailings.owner_id", "=", ownerId!))
      .select((eb) => [
        day.as("day"),
        eb.fn.sum<number>("runs.sent_count").as("sent"),
        eb.fn.sum<number>("runs.failed_count").as("failed"),
      ])
      .groupBy(day)
      .orderBy(day)
      .limit(400)
      .execute();
  }

  /** Runs per month (UTC) with their outcomes; one owner's mailings, or everyone's when ownerId is null. */
  monthly(ownerId: number | null, since: string) {
    const month = sql<string>`substr(runs.started_at, 1, 7)`;
    return this.db
      .selectFrom("runs")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .where("runs.started_at", ">=", since)
      .$if(ownerId !== null, (qb) => qb.where("mailings.owner_id", "=", ownerId!))
      .select((eb) => [
        month.as("month"),
        eb.fn.countAll<number>().as("runs"),
        eb.fn.sum<number>(sql`case when runs.status = 'success' then 1 else 0 end`).as("success_runs"),
        eb.fn.sum<number>(sql`case when runs.status = 'failure' then 1 else 0 end`).as("failure_runs"),
        eb.fn.sum<number>("runs.sent_count").as("sent"),
        eb.fn.sum<number>("runs.failed_count").as("failed"),
        // A finished run has nothing open: what was neither sent, failed nor cancelled was suppressed.
        eb.fn
          .sum<number>(
            sql`case when runs.status = 'sending' then 0 else runs.total_count - runs.sent_count - runs.failed_count - runs.cancelled_count end`,
          )
          .as("suppressed"),
        eb.fn.sum<number>("runs.bounced_count").as("bounced"),
        eb.fn.sum<number>("runs.unsubscribed_count").as("unsubscribed"),
        eb.fn.sum<number>("runs.cancelled_count").as("cancelled"),
      ])
      .groupBy(month)
      .orderBy(month)
      .execute();
  }

  /**
   * The reports' sums per owner since a time (the reports page under "All users"), the `limit` owners with
   * the most runs first; runs_started_idx bounds the runs read to the months shown.
   */
  byOwner(since: string, limit: number) {
    return this.db
      .selectFrom("runs")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .innerJoin("users", "users.id", "mailings.owner_id")
      .where("runs.started_at", ">=", since)
      .select((eb) => [
        "mailings.owner_id as owner_id",
        "users.email as owner_email",
        eb.fn.countAll<number>().as("runs"),
        eb.fn.sum<number>("runs.sent_count").as("sent"),
        eb.fn.sum<number>("runs.failed_count").as("failed"),
        eb.fn
          .sum<number>(
            sql`case when runs.status = 'sending' then 0 else runs.total_count - runs.sent_count - runs.failed_count - runs.cancelled_count end`,
          )
          .as("suppressed"),
        eb.fn.sum<number>("runs.bounced_count").as("bounced"),
        eb.fn.sum<number>("runs.unsubscribed_count").as("unsubscribed"),
      ])
      .groupBy(["mailings.owner_id", "users.email"])
      .orderBy(sql`count(*)`, "desc")
      .orderBy("mailings.owner_id")
      .limit(limit)
      .execute();
  }

  /**
   * The outbox, newest first, by keyset on id from the seek (its primary key, never OFFSET), up to
   * `limit + 1` rows; with `q`, the messages whose recipient or subject contains it (any case). "N matching"
   * is counted up to MATCH_CAP. A search scans the table (a local test outbox, cleared with deleteOutbox).
   */
  async outbox(limit: number, seek: Seek, q = "") {
    const pattern = likePattern(q);
    const base = this.db
      .selectFrom("outbox_messages")
      .$if(q !== "", (qb) =>
        qb.where(
          sql<boolean>`(lower(to_address) like ${pattern} escape '\\' or lower(subject) like ${pattern} escape '\\')`,
        ),
      );
    const id = sql.ref("outbox_messages.id");
    const [rows, matching] = await Promise.all([
      seekPage(
        base.select(["id", "delivery_id", "from_address", "to_address", "subject", "created_at"]),
        id,
        "outbox_messages.id",
        "desc",
        seek,
        limit,
      ),
      boundedCount(this.db, base.select("id"), MATCH_CAP),
    ]);
    return { rows, ...matching };
  }

  /** One stored message with the run its delivery belongs to (null when the delivery is gone). */
  outboxMessage(id: number) {
    return this.db
      .selectFrom("outbox_messages")
      .leftJoin("deliveries", "deliveries.id", "outbox_messages.delivery_id")
      .selectAll("outbox_messages")
      .select("deliveries.run_id")
      .where("outbox_messages.id", "=", id)
      .executeTakeFirst();
  }

  /** Stored messages created before `before` (all when null): how many, or deletes them. */
  async countOutbox(before: string | null) {
    const row = await this.db
      .selectFrom("outbox_messages")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .$if(before !== null, (qb) => qb.where("created_at", "<", before!))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async deleteOutbox(before: string | null) {
    const result = await this.db
      .deleteFrom("outbox_messages")
      .$if(before !== null, (qb) => qb.where("created_at", "<", before!))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  liveWorkers(since: string) {
    return this.db.selectFrom("delivery_workers").selectAll().where("heartbeat_at", ">=", since).execute();
  }

  /**
   * The last `perDelivery` tries of each given delivery, oldest first, each with how many tries its delivery
   * has in all. One query over delivery_attempts_delivery_idx (delivery_id, id); callers pass one page.
   */
  async attemptsOf(deliveryIds: number[], perDelivery: number) {
    if (deliveryIds.length === 0) return [];
    return this.db
      .selectFrom((eb) =>
        eb
          .selectFrom("delivery_attempts")
          .select((eb) => [
            "id",
            "delivery_id",
            "attempted_at",
            "stage",
            "outcome",
            "code",
            "enhanced",
            "text",
            "relay",
            eb.fn
              .agg<number>("row_number")
              .over((ob) => ob.partitionBy("delivery_id").orderBy("id", "desc"))
              .as("newest_rank"),
            eb.fn
              .countAll<number>()
              .over((ob) => ob.partitionBy("delivery_id"))
              .as("total"),
          ])
          .where("delivery_id", "in", deliveryIds)
          .as("a"),
      )
      .selectAll()
      .where("newest_rank", "<=", perDelivery)
      .orderBy("delivery_id")
      .orderBy("id")
      .execute();
  }

  /** When the run's earliest pending delivery is due (null when none is pending); deliveries_run_status_idx. */
  async earliestPending(runId: number): Promise<string | null> {
    const row = await this.db
      .selectFrom("deliveries")
      .select((eb) => eb.fn.min("next_attempt_at").as("next"))
      .where("run_id", "=", runId)
      .where("status", "=", "pending")
      // Deliveries of a run still being released are held, not waiting for a retry.
      .where("next_attempt_at", "<", HELD_UNTIL)
      .executeTakeFirst();
    return row?.next ?? null;
  }

  /** Pauses a sending run: no new delivery starts. False when it is not sending, or already paused or cancelled. */
  async pause(runId: number, now: string): Promise<boolean> {
    const row = await this.db
      .updateTable("runs")
      .set({ paused_at: now })
      .where("id", "=", runId)
      .where("status", "=", "sending")
      .where("paused_at", "is", null)
      .where("cancelled_at", "is", null)
      .returning("id")
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Resumes a paused run where it stopped: its deliveries held back by the pause (due within the hold)
   * become due now; nothing already sent is touched, so no recipient gets it twice.
   */
  async resume(runId: number, now: string, heldUntil: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable("runs")
        .set({ paused_at: null })
        .where("id", "=", runId)
        .where("status", "=", "sending")
        .where("paused_at", "is not", null)
        .where("cancelled_at", "is", null)
        .returning("id")
        .executeTakeFirst();
      if (!row) return false;
      await tx
        .updateTable("deliveries")
        .set({ next_attempt_at: now, updated_at: now })
        .where("run_id", "=", runId)
        .where("status", "=", "pending")
        .where("next_attempt_at", ">", now)
        .where("next_attempt_at", "<=", heldUntil)
        .execute();
      return true;
    });
  }

  /**
   * Cancels a sending run: its pending deliveries become cancelled at once; those a worker holds go back
   * cancelled when it gives them up (delivery.store.ts unclaimed), those being sent finish and are recorded.
   * Returns how many were cancelled now, or null when the run is not sending (or already cancelled).
   */
  async cancel(runId: number, now: string): Promise<number | null> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable("runs")
        .set({ cancelled_at: now, paused_at: null })
        .where("id", "=", runId)
        .where("status", "=", "sending")
        .where("cancelled_at", "is", null)
        .returning("id")
        .executeTakeFirst();
      if (!row) return null;
      const result = await tx
        .updateTable("deliveries")
        .set({ status: "cancelled", updated_at: now })
        .where("run_id", "=", runId)
        .where("status", "=", "pending")
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  /**
   * Reopens a run's failed deliveries (of recipients that still exist) for sending again: marks the run
   * preparing = 'retry' in one short transaction; RunPreparation then puts them back to pending, due now, a
   * chunk per transaction (their tries stay on record), and the run cannot finish until it is done. Returns
   * a reason when it cannot. Two cases, each taking its locks in the order of the code it races with:
   * - the run is still sending (others wait for a retry): lock the run row first, as finishRun does;
   * - the run has finished: lock the mailing row first, as run creation does, so a new run and the
   *   reopened one cannot both be sending; then the run goes back to sending.
   * Whether there is anything to retry is one seek of deliveries_run_status_id_idx (run, 'failed').
   */
  retryFailed(runId: number, _now: string): Promise<{ reopened: true } | { refused: RetryRefusal }> {
    const retrying = { preparing: "retry" as const, prepare_cursor: 0 };
    return this.db
      .transaction()
      .execute(async (tx) => {
        const sending = await tx
          .updateTable("runs")
          .set((eb) => ({ status: eb.ref("status") }))
          .where("id", "=", runId)
          .where("status", "=", "sending")
          .returning(["mailing_id", "preparing"])
          .executeTakeFirst();
        if (sending) {
          if (sending.preparing === "retry") throw new Refused("reopened");
          if (sending.preparing !== null) throw new Refused("preparing");
          const mailing = await tx
            .selectFrom("mailings")
            .select("disabled_at")
            .where("id", "=", sending.mailing_id)
            .executeTakeFirst();
          if (mailing?.disabled_at) throw new Refused("disabled");
          await this.anyFailed(tx, runId);
          await tx.updateTable("runs").set(retrying).where("id", "=", runId).execute();
          return { reopened: true as const };
        }
        const run = await tx
          .selectFrom("runs")
          .select(["mailing_id"])
          .where("id", "=", runId)
          .executeTakeFirst();
        if (!run) throw new Refused("gone");
        const mailing = await tx
          .updateTable("mailings")
          .set((eb) => ({ last_run_at: eb.ref("last_run_at") }))
          .where("id", "=", run.mailing_id)
          .returning(["disabled_at"])
          .executeTakeFirst();
        if (!mailing) throw new Refused("gone");
        if (mailing.disabled_at) throw new Refused("disabled");
        const busy = await tx
          .selectFrom("runs")
          .select("id")
          .where("mailing_id", "=", run.mailing_id)
          .where("status", "=", "sending")
          .executeTakeFirst();
        // Our own run sending now means another retry reopened it since the first statement.
        if (busy) throw new Refused(busy.id === runId ? "reopened" : "busy");
        await this.anyFailed(tx, runId);
        await tx
          .updateTable("runs")
          .set({ status: "sending", finished_at: null, response: null, ...retrying })
          .where("id", "=", runId)
          .execute();
        return { reopened: true as const };
      })
      .catch((error) => {
        if (error instanceof Refused) return { refused: error.reason };
        throw error;
      });
  }

  private async anyFailed(tx: Executor, runId: number): Promise<void> {
    const failed = await tx
      .selectFrom("deliveries")
      .select("id")
      .where("run_id", "=", runId)
      .where("status", "=", "failed")
      .where("recipient_id", "is not", null)
      .limit(1)
      .executeTakeFirst();
    if (!failed) throw new Refused("none");
  }
}

export type RetryRefusal = "gone" | "preparing" | "reopened" | "busy" | "disabled" | "none";

class Refused extends Error {
  constructor(readonly reason: RetryRefusal) {
    super(reason);
  }
}
