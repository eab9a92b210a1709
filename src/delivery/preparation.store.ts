/**
 * Fills and reopens runs a chunk per short transaction (issue 13), so a million-recipient run never holds
 * the SQLite write lock for long and none of it runs on the web's event loop: the run row is created first
 * (runs.store.ts, `preparing = 'audience'`), then this inserts its deliveries by recipient id (keyset over
 * recipients_owner_id_idx), each held far in the future so no worker claims them; then makes them due
 * ('release'); "retry failed" puts failed deliveries back the same way ('retry'). Every chunk locks the run
 * row first and moves `prepare_cursor` in its own transaction, so a crash resumes where it stopped, two
 * engines preparing the same run take turns, and (run_id, recipient_id) is unique besides.
 */
import { sql } from "kysely";
import { audienceWhere, loadAudience } from "../audiences/audience.sql.js";
import type { Database, Db, Tx } from "../db/database.js";
import type { Run } from "../db/schema.js";
import { KyselyDeliveryStore } from "./delivery.store.js";
import type { EngineEvents } from "./ports.js";

/** next_attempt_at of a delivery inserted while its run is prepared: never due until it is released. */
export const HELD_UNTIL = "9999-12-31T23:59:59.999Z";

/**
 * Rows per chunk. SQLite inserts a delivery (its indexes and its run_counts trigger) in 25–35 µs beside
 * 10M others: 500 keep a chunk's write lock near 16 ms on average, p99 under 50 ms (bench:scale at 100k:
 * 1,000 a chunk held it 31 ms on average, p99 112 ms; the total time is the same). PostgreSQL locks rows,
 * not the database: bigger chunks, fewer round trips.
 */
export const PREPARE_CHUNK = { sqlite: 500, postgres: 5_000 } as const;

export type ChunkOutcome = "more" | "done";

export interface PreparationOptions {
  /** Rows per transaction (tests use a small one); defaults to PREPARE_CHUNK of the dialect. */
  chunkSize?: number;
  events?: EngineEvents | undefined;
}

export class RunPreparation {
  private readonly db: Db;
  private readonly deliveries: KyselyDeliveryStore;
  readonly chunkSize: number;
  /** Runs this instance is preparing now: a second call for one of them waits for the first. */
  private readonly inFlight = new Map<number, Promise<boolean>>();

  constructor(
    database: Pick<Database, "db" | "dialect">,
    private readonly options: PreparationOptions = {},
  ) {
    this.db = database.db;
    this.deliveries = new KyselyDeliveryStore(database, undefined, options.events);
    this.chunkSize = Math.max(1, options.chunkSize ?? PREPARE_CHUNK[database.dialect]);
  }

  /** Runs with preparation left (runs_preparing_idx): new ones, and those a crash interrupted. */
  async pending(): Promise<number[]> {
    const rows = await this.db
      .selectFrom("runs")
      .select("id")
      .where("preparing", "is not", null)
      .orderBy("id")
      .limit(100)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Prepares the run to the end, a chunk per transaction; true when nothing is left to do, false when
   * `stopping` said to stop between two chunks (a restart resumes from the cursor).
   */
  prepare(runId: number, now: () => Date, stopping: () => boolean = () => false): Promise<boolean> {
    const running = this.inFlight.get(runId);
    if (running) return running;
    const work = (async () => {
      try {
        await this.estimate(runId);
        while ((await this.chunk(runId, now())) === "more") if (stopping()) return false;
        // Nothing to send (every recipient suppressed, or nobody left): the run is finished here.
        await this.deliveries.finishRunsIfDone([runId], now());
        return true;
      } finally {
        this.inFlight.delete(runId);
      }
    })();
    this.inFlight.set(runId, work);
    return work;
  }

  /** One chunk of whatever the run needs next. */
  async chunk(runId: number, now: Date): Promise<ChunkOutcome> {
    return this.db.transaction().execute(async (tx) => {
      // Writing the run row first takes its lock (PostgreSQL) or the write lock (SQLite): chunks of one run
      // never interleave, and the cursor read here is the one this chunk moves.
      const run = await tx
        .updateTable("runs")
        .set((eb) => ({ preparing: eb.ref("preparing") }))
        .where("id", "=", runId)
        .where("preparing", "is not", null)
        .returningAll()
        .executeTakeFirst();
      if (!run?.preparing) return "done";
      if (run.preparing === "audience") return this.audienceChunk(tx, run, now);
      if (run.preparing === "release") return this.releaseChunk(tx, run, now);
      return this.retryChunk(tx, run, now);
    });
  }

  /**
   * The audience's size as preparation begins, for "Preparing… N of about M": one COUNT, outside any write
   * transaction (a reader never blocks the writer in WAL mode), in the engine, once per run.
   */
  private async estimate(runId: number): Promise<void> {
    const run = await this.db
      .selectFrom("runs")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .select(["runs.mailing_id", "runs.started_at", "mailings.owner_id"])
      .where("runs.id", "=", runId)
      .where("runs.preparing", "=", "audience")
      .where("runs.expected_count", "is", null)
      .executeTakeFirst();
    if (!run) return;
    const audience = await loadAudience(this.db, run.mailing_id, run.owner_id);
    const row = await this.db
      .selectFrom("recipients")
      .where(audienceWhere(audience, new Date(run.started_at)))
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    await this.db
      .updateTable("runs")
      .set({ expected_count: Number(row.n) })
      .where("id", "=", runId)
      .execute();
  }

  /**
   * Inserts the deliveries of the next `chunkSize` recipients of the audience after the cursor, in recipient
   * id order. Membership is judged as the chunk is written (with the run's start as the segments' "now"):
   * someone who joins before the walk reaches their id is in, someone who leaves before it is not.
   */
  private async audienceChunk(tx: Tx, run: Run, now: Date): Promise<ChunkOutcome> {
    // Cancelled while being prepared: nobody more is added; what was inserted is released as cancelled.
    if (run.cancelled_at) {
      await tx
        .updateTable("runs")
        .set({ preparing: "release", prepare_cursor: 0 })
        .where("id", "=", run.id)
        .execute();
      return "more";
    }
    const mailing = await tx
      .selectFrom("mailings")
      .select("owner_id")
      .where("id", "=", run.mailing_id)
      .executeTakeFirst();
    if (!mailing) return "done";
    const audience = await loadAudience(tx, run.mailing_id, mailing.owner_id);
    const where = audienceWhere(audience, new Date(run.started_at));
    const after = run.prepare_cursor ?? 0;
    // The chunk's last recipient: the chunk is (after, last]; none means this is the audience's end.
    const last = await tx
      .selectFrom("recipients")
      .select("recipients.id")
      .where(where)
      .where("recipients.id", ">", after)
      .orderBy("recipients.id")
      .limit(1)
      .offset(this.chunkSize - 1)
      .executeTakeFirst();
    const nowIso = now.toISOString();
    const inserted = await tx
      .insertInto("deliveries")
      .columns([
        "run_id",
        "recipient_id",
        "email",
        "status",
        "last_text",
        "tries",
        "next_attempt_at",
        "created_at",
        "updated_at",
      ])
      .expression((eb) =>
        eb
          .selectFrom("recipients")
          // Suppressed addresses get a delivery that is never sent, with the reason, so the run's report
          // counts them (suppressions_owner_email_uq; the worker checks again when it claims).
          .leftJoin("suppressions", (join) =>
            join
              .on("suppressions.owner_id", "=", mailing.owner_id)
              .onRef("suppressions.email_normalized", "=", "recipients.email_normalized"),
          )
          .where(where)
          .where("recipients.id", ">", after)
          .$if(last !== undefined, (qb) => qb.where("recipients.id", "<=", last!.id))
          .select([
            sql.lit(run.id).as("run_id"),
            "recipients.id",
            "recipients.email",
            sql<string>`case when suppressions.id is null then 'pending' else 'suppressed' end`.as("status"),
            sql<
              string | null
            >`case when suppressions.id is null then null else 'Suppressed: ' || suppressions.reason end`.as(
              "last_text",
            ),
            sql.lit(0).as("tries"),
            sql.val(HELD_UNTIL).as("next_attempt_at"),
            sql.val(nowIso).as("created_at"),
            sql.val(nowIso).as("updated_at"),
          ])
          .orderBy("recipients.id"),
      )
      // A chunk written twice (two engines, or a retried transaction) adds nobody twice.
      .onConflict((oc) => oc.columns(["run_id", "recipient_id"]).doNothing())
      .executeTakeFirst();
    const added = Number(inserted.numInsertedOrUpdatedRows ?? 0);
    await tx
      .updateTable("runs")
      .set((eb) => ({
        total_count: eb("total_count", "+", added),
        ...(last
          ? { prepare_cursor: last.id }
          : // The audience is complete: from now on the run is sending, and its deliveries are made due.
            { preparing: "release" as const, prepare_cursor: 0 }),
      }))
      .where("id", "=", run.id)
      .execute();
    if (!last)
      await this.options.events?.runStarted(tx, { ...run, total_count: run.total_count + added }, now);
    return "more";
  }

  /** Makes the next chunk of held pending deliveries due now, in id order (deliveries_run_status_id_idx). */
  private async releaseChunk(tx: Tx, run: Run, now: Date): Promise<ChunkOutcome> {
    const ids = await tx
      .selectFrom("deliveries")
      .select("id")
      .where("run_id", "=", run.id)
      .where("status", "=", "pending")
      .where("id", ">", run.prepare_cursor ?? 0)
      .orderBy("id")
      .limit(this.chunkSize)
      .execute();
    const nowIso = now.toISOString();
    if (ids.length === 0) return this.prepared(tx, run.id);
    const upTo = ids.at(-1)!.id;
    await tx
      .updateTable("deliveries")
      .set({
        next_attempt_at: nowIso,
        updated_at: nowIso,
        // A run cancelled meanwhile sends none of them (cancel turned those it saw cancelled already).
        ...(run.cancelled_at ? { status: "cancelled" as const } : {}),
      })
      .where("run_id", "=", run.id)
      .where("status", "=", "pending")
      .where("id", ">", run.prepare_cursor ?? 0)
      .where("id", "<=", upTo)
      .where("next_attempt_at", "=", HELD_UNTIL)
      .execute();
    await tx.updateTable("runs").set({ prepare_cursor: upTo }).where("id", "=", run.id).execute();
    return "more";
  }

  /**
   * Puts the next chunk of the run's failed deliveries (of recipients that still exist) back to pending, due
   * now, in id order. Their tries stay on record. Those that fail again meanwhile are behind the cursor, so
   * one "retry failed" sends each failed delivery once more, never twice.
   */
  private async retryChunk(tx: Tx, run: Run, now: Date): Promise<ChunkOutcome> {
    const ids = await tx
      .selectFrom("deliveries")
      .select("id")
      .where("run_id", "=", run.id)
      .where("status", "=", "failed")
      .where("id", ">", run.prepare_cursor ?? 0)
      .where("recipient_id", "is not", null)
      .orderBy("id")
      .limit(this.chunkSize)
      .execute();
    if (ids.length === 0) return this.prepared(tx, run.id);
    const nowIso = now.toISOString();
    const upTo = ids.at(-1)!.id;
    await tx
      .updateTable("deliveries")
      .set({
        status: "pending",
        tries: 0,
        next_attempt_at: nowIso,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: nowIso,
      })
      .where("run_id", "=", run.id)
      .where("status", "=", "failed")
      .where("id", ">", run.prepare_cursor ?? 0)
      .where("id", "<=", upTo)
      .where("recipient_id", "is not", null)
      .execute();
    await tx.updateTable("runs").set({ prepare_cursor: upTo }).where("id", "=", run.id).execute();
    return "more";
  }

  private async prepared(tx: Tx, runId: number): Promise<ChunkOutcome> {
    await tx
      .updateTable("runs")
      .set({ preparing: null, prepare_cursor: null })
      .where("id", "=", runId)
      .execute();
    return "done";
  }
}
