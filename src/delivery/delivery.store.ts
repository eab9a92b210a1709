/**
 * The worker's side of the database: claiming deliveries under a lease, recording results in batches,
 * and finishing runs. With src/db, the only place with dialect branches: PostgreSQL claims with
 * SELECT … FOR UPDATE SKIP LOCKED plus an UPDATE in one transaction; SQLite (one writer at a time) claims
 * with a single UPDATE … WHERE status = 'pending' … RETURNING compare-and-set.
 */
import { sql } from "kysely";
import type { Database, Db } from "../db/database.js";
import type { Dialect } from "../db/migrations/index.js";
import { cleanReplyText } from "./classify.js";
import type {
  ClaimedDelivery,
  DeliveryResult,
  EngineEvents,
  RunContent,
  RunState,
  RunsFinishedListener,
  SendTokens,
  WorkerHeartbeat,
  WorkerStore,
} from "./ports.js";
import { type BucketPolicy, fullBucket, takeTokens } from "./rate.js";
import { runSummary } from "./run-summary.js";
import { parseSendWindow } from "./window.js";

const CLAIMED = ["id", "run_id", "email", "tries", "created_at"] as const;

export class KyselyDeliveryStore implements WorkerStore {
  private readonly db: Db;
  private readonly dialect: Dialect;

  constructor(
    database: Pick<Database, "db" | "dialect">,
    private readonly finishedListener?: RunsFinishedListener,
    private readonly events?: EngineEvents,
  ) {
    this.db = database.db;
    this.dialect = database.dialect;
  }

  async claim(workerId: string, limit: number, now: Date, leaseUntil: Date): Promise<ClaimedDelivery[]> {
    const nowIso = now.toISOString();
    const lease = {
      status: "sending",
      lease_owner: workerId,
      lease_expires_at: leaseUntil.toISOString(),
      updated_at: nowIso,
    } as const;
    const rows =
      this.dialect === "postgres"
        ? await this.db.transaction().execute(async (tx) => {
            const due = await tx
              .selectFrom("deliveries")
              .select("id")
              .where("status", "=", "pending")
              .where("next_attempt_at", "<=", nowIso)
              .orderBy("next_attempt_at")
              .orderBy("id")
              .limit(limit)
              .forUpdate()
              .skipLocked()
              .execute();
            if (due.length === 0) return [];
            return tx
              .updateTable("deliveries")
              .set(lease)
              .where(
                "id",
                "in",
                due.map((d) => d.id),
              )
              .returning(CLAIMED)
              .execute();
          })
        : await this.db
            .updateTable("deliveries")
            .set(lease)
            .where("id", "in", (eb) =>
              eb
                .selectFrom("deliveries")
                .select("id")
                .where("status", "=", "pending")
                .where("next_attempt_at", "<=", nowIso)
                .orderBy("next_attempt_at")
                .orderBy("id")
                .limit(limit),
            )
            .where("status", "=", "pending")
            .returning(CLAIMED)
            .execute();
    return rows
      .map((r) => ({ id: r.id, runId: r.run_id, email: r.email, tries: r.tries, createdAt: r.created_at }))
      .sort((a, b) => a.id - b.id);
  }

  async record(workerId: string, results: DeliveryResult[], now: Date): Promise<void> {
    if (results.length === 0) return;
    const nowIso = now.toISOString();
    // One UPDATE … FROM (VALUES …) for the whole batch, and one INSERT of its tries, in one transaction: the
    // per-recipient record costs a few microseconds. Only the first row carries casts: they type the VALUES
    // columns for PostgreSQL, and keep the SQL short. Texts are cleaned again here (NUL, length), whoever
    // produced them, so that no reply can make the database refuse a batch.
    const values = sql.join(
      results.map((r, i) => {
        const text = cleanReplyText(r.text) || "No reply";
        return i === 0
          ? sql`(cast(${r.id} as integer), cast(${r.status} as text), cast(${r.triesIncrement} as integer), cast(${r.nextAttemptAt} as text), cast(${r.code} as integer), cast(${r.enhanced} as text), cast(${text} as text), cast(${r.messageId} as text), cast(${r.sentAt} as text))`
          : sql`(${r.id}, ${r.status}, ${r.triesIncrement}, ${r.nextAttemptAt}, ${r.code}, ${r.enhanced}, ${text}, ${r.messageId}, ${r.sentAt})`;
      }),
    );
    await this.db.transaction().execute(async (tx) => {
      const updated = await sql<{ id: number; email: string; recipient_id: number | null }>`
        with v(id, status, tries_inc, next_attempt_at, code, enhanced, text, message_id, sent_at) as (values ${values})
        update deliveries set
          status = v.status,
          tries = deliveries.tries + v.tries_inc,
          next_attempt_at = coalesce(v.next_attempt_at, deliveries.next_attempt_at),
          last_code = v.code,
          last_enhanced = v.enhanced,
          last_text = v.text,
          message_id = coalesce(v.message_id, deliveries.message_id),
          sent_at = coalesce(v.sent_at, deliveries.sent_at),
          lease_owner = null,
          lease_expires_at = null,
          updated_at = ${nowIso}
        from v
        where deliveries.id = v.id and deliveries.lease_owner = ${workerId} and deliveries.status = 'sending'
        returning deliveries.id, deliveries.email, deliveries.recipient_id
      `.execute(tx);
      // The tries of rows this worker no longer held (taken back, or deleted with their mailing) are not
      // this worker's to record: the delivery's history stays the history of its owner's tries.
      const held = new Set(updated.rows.map((r) => r.id));
      const attempts = results
        .filter((r) => held.has(r.id))
        .map((r) => ({
          delivery_id: r.id,
          run_id: r.runId,
          attempted_at: r.attempt.at,
          stage: r.attempt.stage,
          outcome: r.attempt.outcome,
          code: r.code,
          enhanced: r.enhanced,
          text: cleanReplyText(r.text) || "No reply",
          relay: r.attempt.relay,
        }));
      if (attempts.length > 0) await tx.insertInto("delivery_attempts").values(attempts).execute();
      if (this.events) {
        const rows = new Map(updated.rows.map((r) => [r.id, r]));
        const done = results.flatMap((r) => {
          const row = rows.get(r.id);
          if (!row || r.status === "pending") return [];
          return [
            {
              id: r.id,
              runId: r.runId,
              recipientId: row.recipient_id,
              email: row.email,
              status: r.status,
              code: r.code,
              enhanced: r.enhanced,
              text: cleanReplyText(r.text) || "No reply",
              at: r.sentAt ?? nowIso,
            },
          ];
        });
        if (done.length > 0) await this.events.deliveriesDone(tx, done, now);
      }
    });
  }

  async release(workerId: string, ids: number[], now: Date, nextAttemptAt: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable("deliveries")
      .set(unclaimed(nextAttemptAt, now))
      .where("id", "in", ids)
      .where("lease_owner", "=", workerId)
      .where("status", "=", "sending")
      .execute();
  }

  async renewLeases(workerId: string, until: Date, now: Date): Promise<void> {
    await this.db
      .updateTable("deliveries")
      .set({ lease_expires_at: until.toISOString(), updated_at: now.toISOString() })
      .where("status", "=", "sending")
      .where("lease_owner", "=", workerId)
      .execute();
  }

  async reclaimExpired(now: Date): Promise<number> {
    const result = await this.db
      .updateTable("deliveries")
      .set(unclaimed(now, now))
      .where("status", "=", "sending")
      .where("lease_expires_at", "<", now.toISOString())
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async reclaimFromDeadWorkers(input: {
    deadWorkerIds: string[];
    staleBefore: Date | null;
    now: Date;
  }): Promise<number> {
    const { deadWorkerIds, staleBefore, now } = input;
    return this.db.transaction().execute(async (tx) => {
      const stale = staleBefore
        ? await tx
            .selectFrom("delivery_workers")
            .select("worker_id")
            .where("heartbeat_at", "<", staleBefore.toISOString())
            .execute()
        : [];
      const dead = [...new Set([...deadWorkerIds, ...stale.map((w) => w.worker_id)])];
      if (dead.length === 0) return 0;
      const result = await tx
        .updateTable("deliveries")
        .set(unclaimed(now, now))
        // deliveries_lease_idx: (status, lease_expires_at), then the few rows of those workers.
        .where("status", "=", "sending")
        .where("lease_owner", "in", dead)
        .executeTakeFirst();
      await tx.deleteFrom("delivery_workers").where("worker_id", "in", dead).execute();
      return Number(result.numUpdatedRows);
    });
  }

  async workersOnHost(host: string): Promise<{ workerId: string; pid: number }[]> {
    const rows = await this.db
      .selectFrom("delivery_workers")
      .select(["worker_id", "pid"])
      .where("host", "=", host)
      .execute();
    return rows.map((r) => ({ workerId: r.worker_id, pid: r.pid }));
  }

  async runStates(runIds: number[]): Promise<RunState[]> {
    if (runIds.length === 0) return [];
    const rows = await this.db
      .selectFrom("runs")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .innerJoin("users", "users.id", "mailings.owner_id")
      .where("runs.id", "in", runIds)
      .select([
        "runs.id",
        "runs.paused_at",
        "runs.cancelled_at",
        "mailings.disabled_at",
        "mailings.send_window",
        "mailings.time_zone",
        "users.blocked_at",
      ])
      .execute();
    return rows.map((r) => ({
      runId: r.id,
      window: parseSendWindow(r.send_window),
      zone: r.time_zone,
      heldBecause: r.cancelled_at
        ? "The run is cancelled."
        : r.paused_at
          ? "The run is paused."
          : r.disabled_at
            ? "The mailing is disabled."
            : r.blocked_at
              ? "The mailing's owner is blocked."
              : null,
    }));
  }

  runContent(runId: number): Promise<RunContent | undefined> {
    return this.db
      .selectFrom("runs")
      .select(["subject", "body", "mailing_id as mailingId"])
      .where("id", "=", runId)
      .executeTakeFirst();
  }

  async holdRun(runId: number, until: Date, now: Date): Promise<void> {
    await this.db
      .updateTable("deliveries")
      .set({ next_attempt_at: until.toISOString(), updated_at: now.toISOString() })
      .where("run_id", "=", runId)
      .where("status", "=", "pending")
      .where("next_attempt_at", "<", until.toISOString())
      .execute();
  }

  async finishRunsIfDone(runIds: number[], now: Date): Promise<number[]> {
    const finished: number[] = [];
    for (const runId of new Set(runIds)) if (await this.finishRun(runId, now)) finished.push(runId);
    if (finished.length > 0) await this.finishedListener?.runsFinished(finished);
    return finished;
  }

  /** Runs still sending with nothing open: a worker died between its last write and the finish. */
  async finishStaleRuns(now: Date): Promise<number[]> {
    const rows = await this.db
      .selectFrom("runs")
      .select("id")
      .where("status", "=", "sending")
      // A run still being prepared may have nothing open yet: its preparation finishes it.
      .where("preparing", "is", null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("deliveries")
              .select("deliveries.id")
              .whereRef("deliveries.run_id", "=", "runs.id")
              .where("deliveries.status", "in", ["pending", "sending"]),
          ),
        ),
      )
      .execute();
    return this.finishRunsIfDone(
      rows.map((r) => r.id),
      now,
    );
  }

  private async finishRun(runId: number, now: Date): Promise<boolean> {
    const open = await this.db
      .selectFrom("deliveries")
      .select("id")
      .where("run_id", "=", runId)
      .where("status", "in", ["pending", "sending"])
      .limit(1)
      .executeTakeFirst();
    if (open) return false;
    return this.db.transaction().execute(async (tx) => {
      // Writing the run row first takes its lock (PostgreSQL) or the write lock (SQLite), so a concurrent
      // finish or "retry failed" of the same run waits for this one.
      const locked = await tx
        .updateTable("runs")
        .set((eb) => ({ finished_at: eb.ref("finished_at") }))
        .where("id", "=", runId)
        .where("status", "=", "sending")
        .where("preparing", "is", null)
        .returning("mailing_id")
        .executeTakeFirst();
      if (!locked) return false;
      // The run's counts by status, kept exact by triggers (run_counts, migration 028): six rows at most.
      const byStatus = await tx
        .selectFrom("run_counts")
        .select(["status", "n"])
        .where("run_id", "=", runId)
        .execute();
      const count = (s: string) => Number(byStatus.find((r) => r.status === s)?.n ?? 0);
      if (count("pending") + count("sending") > 0) return false;
      const response = await runSummary(tx, runId);
      const failed = count("failed");
      const nowIso = now.toISOString();
      await tx
        .updateTable("runs")
        .set({
          status: failed === 0 ? "success" : "failure",
          finished_at: nowIso,
          sent_count: count("sent"),
          failed_count: failed,
          cancelled_count: count("cancelled"),
          response: JSON.stringify(response),
        })
        .where("id", "=", runId)
        .execute();
      await this.events?.runFinished(tx, runId, now);
      // A one-off mailing, or one whose end has passed, with nothing more planned is now Completed.
      await tx
        .updateTable("mailings")
        .set({ status: "completed" })
        .where("id", "=", locked.mailing_id)
        .where("status", "!=", "completed")
        .where("next_run_at", "is", null)
        .where((eb) => eb.or([eb("periodicity", "=", "once"), eb("end_at", "<=", nowIso)]))
        .execute();
      return true;
    });
  }

  async heartbeat(beat: WorkerHeartbeat): Promise<void> {
    const row = {
      worker_id: beat.workerId,
      host: beat.host,
      pid: beat.pid,
      state: beat.state,
      reason: beat.reason,
      paused_until: beat.pausedUntil,
      started_at: beat.startedAt,
      heartbeat_at: beat.now,
      details: beat.details ? JSON.stringify(beat.details) : null,
    };
    await this.db
      .insertInto("delivery_workers")
      .values(row)
      .onConflict((oc) =>
        oc.column("worker_id").doUpdateSet({
          state: row.state,
          reason: row.reason,
          paused_until: row.paused_until,
          heartbeat_at: row.heartbeat_at,
          details: row.details,
        }),
      )
      .execute();
  }

  async removeWorker(workerId: string): Promise<void> {
    await this.db.deleteFrom("delivery_workers").where("worker_id", "=", workerId).execute();
  }

  async takeSendTokens(name: string, policy: BucketPolicy, want: number, now: Date): Promise<SendTokens> {
    const nowMs = now.getTime();
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const row = await this.db
        .selectFrom("send_buckets")
        .select(["millitokens", "refilled_at_ms"])
        .where("name", "=", name)
        .executeTakeFirst();
      if (!row) {
        const full = fullBucket(policy, nowMs);
        await this.db
          .insertInto("send_buckets")
          .values({ name, millitokens: full.millitokens, refilled_at_ms: full.refilledAtMs })
          .onConflict((oc) => oc.column("name").doNothing())
          .execute();
        continue;
      }
      const state = { millitokens: Number(row.millitokens), refilledAtMs: Number(row.refilled_at_ms) };
      const taken = takeTokens(state, policy, want, nowMs);
      // Waiting changes nothing: the refill is counted by whoever takes the next token.
      if (taken.granted === 0) return { granted: 0, waitMs: taken.waitMs };
      const updated = await this.db
        .updateTable("send_buckets")
        .set({ millitokens: taken.next.millitokens, refilled_at_ms: taken.next.refilledAtMs })
        .where("name", "=", name)
        .where("millitokens", "=", state.millitokens)
        .where("refilled_at_ms", "=", state.refilledAtMs)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 1) return { granted: taken.granted, waitMs: 0 };
    }
    // Other workers took every token in between: look again shortly.
    return { granted: 0, waitMs: 1 };
  }
}

/** How often a worker re-reads the bucket when other workers changed it between its read and its write. */
const CAS_ATTEMPTS = 5;

/** A claimed delivery put back to pending, unleased, due at `at`: released, reclaimed, taken back. */
/**
 * A claim given back: pending again, or cancelled when its run was cancelled meanwhile (so a cancel also
 * stops what a worker had claimed but not yet sent).
 */
function unclaimed(at: Date, now: Date) {
  return {
    status: sql<
      "pending" | "cancelled"
    >`case when exists (select 1 from runs where runs.id = deliveries.run_id and runs.cancelled_at is not null) then 'cancelled' else 'pending' end`,
    lease_owner: null,
    lease_expires_at: null,
    next_attempt_at: at.toISOString(),
    updated_at: now.toISOString(),
  } as const;
}
