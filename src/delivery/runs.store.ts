/**
 * The scheduler's side of the database: which mailings are due, and creating a run. Creating is one short
 * transaction for the run row (preparing = 'audience'); its deliveries are then inserted a chunk per
 * transaction by RunPreparation (preparation.store.ts): here at once ("inline", the scheduler in the engine,
 * the CLI, tests) or by the engine's RunPreparer (the web's "Send now"). Two schedulers cannot create the same
 * run: the mailing's next_run_at is moved by compare-and-set in the same transaction, and (mailing_id,
 * scheduled_for) is unique. A run being prepared is 'sending', so the mailing is busy meanwhile.
 */
import { sql } from "kysely";
import { audienceWhere, hasAudience, loadAudience } from "../audiences/audience.sql.js";
import type { Database, Db } from "../db/database.js";
import { isUniqueViolation } from "../db/database.js";
import { KyselyDeliveryStore } from "./delivery.store.js";
import type { CreateRunInput, CreateRunResult, DueMailing, EngineEvents, SchedulerStore } from "./ports.js";
import { RunPreparation } from "./preparation.store.js";

class Skip extends Error {
  constructor(readonly reason: Exclude<CreateRunResult, { run: unknown }>["skipped"]) {
    super(reason);
  }
}

export interface RunsStoreOptions {
  /**
   * "inline" (default): createRun fills the run's deliveries itself, a chunk per transaction, before it
   * returns. "engine": it returns the run row still preparing; the engine's RunPreparer fills it.
   */
  prepare?: "inline" | "engine";
  /** Rows per preparation chunk (see PREPARE_CHUNK). */
  chunkSize?: number;
  /** Shares one RunPreparation (and its in-flight runs) with the engine's RunPreparer. */
  preparation?: RunPreparation;
}

export class KyselyRunsStore implements SchedulerStore {
  private readonly db: Db;
  private readonly deliveries: KyselyDeliveryStore;
  readonly preparation: RunPreparation;

  constructor(
    database: Pick<Database, "db" | "dialect">,
    events?: EngineEvents,
    private readonly options: RunsStoreOptions = {},
  ) {
    this.db = database.db;
    this.deliveries = new KyselyDeliveryStore(database, undefined, events);
    this.preparation =
      options.preparation ??
      new RunPreparation(database, {
        events,
        ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
      });
  }

  async dueMailings(now: Date, limit: number, graceMs: number): Promise<DueMailing[]> {
    const nowIso = now.toISOString();
    const graceIso = new Date(now.getTime() - graceMs).toISOString();
    const rows = await this.db
      .selectFrom("mailings")
      .innerJoin("users", "users.id", "mailings.owner_id")
      .select([
        "mailings.id",
        "mailings.next_run_at",
        "mailings.first_send_at",
        "mailings.end_at",
        "mailings.periodicity",
        "mailings.time_zone",
      ])
      .where("mailings.next_run_at", "<=", nowIso)
      .where("mailings.disabled_at", "is", null)
      .where("mailings.status", "!=", "completed")
      .where("users.blocked_at", "is", null)
      // Past its end, a mailing only gets an occurrence it missed by a little (the scheduler was late).
      .where((eb) => eb.or([eb("mailings.end_at", ">", nowIso), eb("mailings.next_run_at", ">", graceIso)]))
      .where(hasAudience)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("runs")
              .select("runs.id")
              .whereRef("runs.mailing_id", "=", "mailings.id")
              .where("runs.status", "=", "sending"),
          ),
        ),
      )
      .orderBy("mailings.next_run_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, next_run_at: r.next_run_at! }));
  }

  async createRun(input: CreateRunInput): Promise<CreateRunResult> {
    const nowIso = input.now.toISOString();
    try {
      const run = await this.db.transaction().execute(async (tx) => {
        // The first statement writes the mailing row: it takes the row lock (PostgreSQL) or the write lock
        // (SQLite), so a concurrent scheduler or "send now" for this mailing waits here, then sees our run.
        const mailing = await tx
          .updateTable("mailings")
          .set((eb) => ({
            last_run_at: nowIso,
            status: sql<
              "running" | "completed"
            >`case when ${eb.ref("status")} = 'created' then 'running' else ${eb.ref("status")} end`,
            ...(input.schedule ? { next_run_at: input.schedule.next } : {}),
          }))
          .where("id", "=", input.mailingId)
          .$if(input.schedule !== undefined, (qb) =>
            qb
              .where("next_run_at", "=", input.schedule!.expected)
              .where("disabled_at", "is", null)
              .where("status", "!=", "completed"),
          )
          .returning(["message_id", "disabled_at", "owner_id", "sender_id"])
          .executeTakeFirst();
        if (!mailing) throw new Skip("gone");
        if (mailing.disabled_at) throw new Skip("disabled");
        const sending = await tx
          .selectFrom("runs")
          .select("id")
          .where("mailing_id", "=", input.mailingId)
          .where("status", "=", "sending")
          .executeTakeFirst();
        if (sending) throw new Skip("busy");
        // The run keeps what it sends: the message, its layout and the mailing's sender as they are now.
        const message = await tx
          .selectFrom("messages")
          .leftJoin("layouts", "layouts.id", "messages.layout_id")
          .select([
            "messages.subject",
            "messages.body",
            "messages.format",
            "layouts.html as layout_html",
            "layouts.text as layout_text",
          ])
          .where("messages.id", "=", mailing.message_id)
          .executeTakeFirstOrThrow();
        const sender =
          mailing.sender_id === null
            ? undefined
            : await tx
                .selectFrom("senders")
                .select(["from_name", "from_email", "reply_to", "postal_address"])
                .where("id", "=", mailing.sender_id)
                .executeTakeFirst();
        // The audience is resolved chunk by chunk afterwards; an empty one gets no run (EXISTS stops at the
        // first recipient it finds, through recipients_owner_id_idx).
        const audience = await loadAudience(tx, input.mailingId, mailing.owner_id);
        const anyone = await tx
          .selectFrom("recipients")
          .select("recipients.id")
          .where(audienceWhere(audience, input.now))
          .limit(1)
          .executeTakeFirst();
        if (!anyone) throw new Skip("empty");
        return tx
          .insertInto("runs")
          .values({
            mailing_id: input.mailingId,
            trigger: input.trigger,
            actor_user_id: input.actorUserId,
            status: "sending",
            preparing: "audience",
            prepare_cursor: 0,
            scheduled_for: input.scheduledFor,
            subject: message.subject,
            body: message.body,
            format: message.format,
            layout_html: message.layout_html,
            layout_text: message.layout_text,
            from_header: sender ? senderHeader(sender.from_name, sender.from_email) : null,
            reply_to: sender?.reply_to ?? null,
            postal_address: sender?.postal_address ?? null,
            total_count: 0,
            sent_count: 0,
            failed_count: 0,
            response: null,
            started_at: nowIso,
            finished_at: null,
            created_at: nowIso,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      });
      if ((this.options.prepare ?? "inline") === "engine") return { run };
      await this.preparation.prepare(run.id, () => input.now);
      const prepared = await this.db
        .selectFrom("runs")
        .selectAll()
        .where("id", "=", run.id)
        .executeTakeFirst();
      return { run: prepared ?? run };
    } catch (error) {
      if (error instanceof Skip) return { skipped: error.reason };
      if (isUniqueViolation(error)) return { skipped: "duplicate" };
      throw error;
    }
  }

  async advance(mailingId: number, expected: string, next: string | null): Promise<void> {
    await this.db
      .updateTable("mailings")
      .set({ next_run_at: next })
      .where("id", "=", mailingId)
      .where("next_run_at", "=", expected)
      .execute();
  }

  async completeEnded(now: Date, graceMs: number): Promise<number> {
    const nowIso = now.toISOString();
    const graceIso = new Date(now.getTime() - graceMs).toISOString();
    const result = await this.db
      .updateTable("mailings")
      .set({ status: "completed", next_run_at: null })
      .where("status", "!=", "completed")
      .where("end_at", "<=", nowIso)
      // An occurrence missed by a little is still sent first (see dueMailings).
      .where((eb) =>
        eb.or([
          eb("next_run_at", "is", null),
          eb("next_run_at", "<=", graceIso),
          eb("disabled_at", "is not", null),
          eb.not(hasAudience(eb)),
        ]),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("runs")
              .select("runs.id")
              .whereRef("runs.mailing_id", "=", "mailings.id")
              .where("runs.status", "=", "sending"),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  finishStaleRuns(now: Date): Promise<number[]> {
    return this.deliveries.finishStaleRuns(now);
  }
}

/** A sender's From header value: `"Name" <address>` (encoded when the copy is built), or the bare address. */
function senderHeader(name: string, email: string): string {
  const clean = name.replace(/["\\\r\n]/g, "").trim();
  return clean ? `"${clean}" <${email}>` : email;
}
