/** SQL for suppression lists and unsubscribes. Every list method takes the acting user. */
import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { NewSuppression, Suppression, SuppressionReason, SuppressionSource } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { likePattern } from "../shared/pagination.js";
import type { SuppressionListQuery } from "./suppression.schemas.js";

export interface UnsubscribeTarget {
  deliveryId: number;
  email: string;
  runId: number;
  mailingId: number;
  mailingName: string;
  ownerId: number;
}

export class SuppressionRepository {
  constructor(private readonly db: Executor) {}

  private owned(actor: Actor) {
    return this.db.selectFrom("suppressions").where("suppressions.owner_id", "=", actor.id);
  }

  private search(actor: Actor, q: string, reason?: SuppressionReason) {
    return this.owned(actor)
      .$if(q !== "", (qb) =>
        qb.where(sql`suppressions.email_normalized`, "like", sql`${likePattern(q)} escape '\\'`),
      )
      .$if(reason !== undefined, (qb) => qb.where("suppressions.reason", "=", reason!));
  }

  /** Newest first, over suppressions_owner_id_idx (owner_id, id). */
  async list(actor: Actor, query: SuppressionListQuery): Promise<{ items: Suppression[]; total: number }> {
    const [items, total] = await Promise.all([
      this.search(actor, query.q, query.reason)
        .selectAll()
        .orderBy("id", query.dir)
        .limit(query.limit)
        .offset((query.page - 1) * query.limit)
        .execute(),
      this.search(actor, query.q, query.reason)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }

  /** The API's keyset page in id order, over suppressions_owner_id_idx (owner_id, id). */
  listKeyset(actor: Actor, q: string, dir: "asc" | "desc", afterId: number | null, limit: number) {
    return this.search(actor, q)
      .selectAll()
      .$if(afterId !== null, (qb) => qb.where("id", dir === "asc" ? ">" : "<", afterId!))
      .orderBy("id", dir)
      .limit(limit + 1)
      .execute();
  }

  async countMatching(actor: Actor, q: string): Promise<number> {
    const row = await this.search(actor, q)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The next page by id (export reads them all, a page at a time). */
  listAfter(actor: Actor, afterId: number, limit: number): Promise<Suppression[]> {
    return this.owned(actor).selectAll().where("id", ">", afterId).orderBy("id").limit(limit).execute();
  }

  findById(actor: Actor, id: number): Promise<Suppression | undefined> {
    return this.owned(actor).selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Over the unique index suppressions_owner_email_uq. */
  findByEmail(actor: Actor, emailNormalized: string): Promise<Suppression | undefined> {
    return this.owned(actor).selectAll().where("email_normalized", "=", emailNormalized).executeTakeFirst();
  }

  /** Adds the address unless it is already suppressed (then undefined). */
  insert(actor: Actor, row: Omit<NewSuppression, "owner_id">): Promise<Suppression | undefined> {
    return this.db
      .insertInto("suppressions")
      .values({ ...row, owner_id: actor.id })
      .onConflict((oc) => oc.columns(["owner_id", "email_normalized"]).doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  delete(actor: Actor, id: number): Promise<Suppression | undefined> {
    return this.db
      .deleteFrom("suppressions")
      .where("owner_id", "=", actor.id)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
  }

  /** The delivery an unsubscribe token names, with its run, mailing and owner (not the acting user's: public). */
  async unsubscribeTarget(deliveryId: number): Promise<UnsubscribeTarget | undefined> {
    const row = await this.db
      .selectFrom("deliveries")
      .innerJoin("runs", "runs.id", "deliveries.run_id")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .select([
        "deliveries.id",
        "deliveries.email",
        "runs.id as run_id",
        "mailings.id as mailing_id",
        "mailings.name",
        "mailings.owner_id",
      ])
      .where("deliveries.id", "=", deliveryId)
      .executeTakeFirst();
    return (
      row && {
        deliveryId: row.id,
        email: row.email,
        runId: row.run_id,
        mailingId: row.mailing_id,
        mailingName: row.name,
        ownerId: row.owner_id,
      }
    );
  }

  /** Whether this delivery's link was used already (unsubscribes_delivery_uq). */
  async unsubscribeUsed(deliveryId: number): Promise<boolean> {
    const row = await this.db
      .selectFrom("unsubscribes")
      .select("id")
      .where("delivery_id", "=", deliveryId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Records an unsubscribe; false when this delivery's link was used already (the unique index decides). */
  async recordUnsubscribe(
    target: UnsubscribeTarget,
    source: SuppressionSource,
    at: string,
  ): Promise<boolean> {
    const row = await this.db
      .insertInto("unsubscribes")
      .values({
        owner_id: target.ownerId,
        email: target.email,
        delivery_id: target.deliveryId,
        run_id: target.runId,
        mailing_id: target.mailingId,
        source,
        created_at: at,
      })
      .onConflict((oc) => oc.column("delivery_id").doNothing())
      .returning("id")
      .executeTakeFirst();
    // The run's counter, in the caller's transaction (the reports read it).
    if (row && target.runId !== null) {
      await this.db
        .updateTable("runs")
        .set((eb) => ({ unsubscribed_count: eb("unsubscribed_count", "+", 1) }))
        .where("id", "=", target.runId)
        .execute();
    }
    return row !== undefined;
  }
}
