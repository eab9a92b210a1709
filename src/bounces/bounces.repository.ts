/**
 * SQL for bounces: finding the delivery a report is about, recording the bounce on it, and the counts the
 * suppression rules need. Reports come from outside, so these reads are not an acting user's; every rule
 * then works within the delivery's owner.
 */
import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { BounceType } from "../db/schema.js";

export interface BouncedDelivery {
  deliveryId: number;
  runId: number;
  mailingId: number;
  mailingName: string;
  ownerId: number;
  email: string;
  bounceType: BounceType | null;
}

export class BouncesRepository {
  constructor(private readonly db: Executor) {}

  private withOwner() {
    return this.db
      .selectFrom("deliveries")
      .innerJoin("runs", "runs.id", "deliveries.run_id")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .select([
        "deliveries.id as deliveryId",
        "runs.id as runId",
        "mailings.id as mailingId",
        "mailings.name as mailingName",
        "mailings.owner_id as ownerId",
        "deliveries.email",
        "deliveries.bounce_type as bounceType",
      ]);
  }

  findById(deliveryId: number): Promise<BouncedDelivery | undefined> {
    return this.withOwner().where("deliveries.id", "=", deliveryId).executeTakeFirst();
  }

  /** The newest deliveries that went out to an address since a time, over deliveries_email_lower_idx. */
  recentTo(email: string, since: string, limit: number): Promise<BouncedDelivery[]> {
    return this.withOwner()
      .where(sql`lower(deliveries.email)`, "=", sql`lower(${email})`)
      .where("deliveries.status", "in", ["sent", "failed"])
      .where("deliveries.created_at", ">=", since)
      .orderBy("deliveries.id", "desc")
      .limit(limit)
      .execute();
  }

  /**
   * Records a bounce unless the delivery has one of the same or a stronger kind already (soft < hard <
   * complaint): the same report twice records once. Returns whether it was recorded.
   */
  /**
   * Records a bounce on a delivery that has none, or replaces a weaker one (soft < hard < complaint); false
   * when neither (a duplicate). Keeps the run's bounced_count (hard and soft) in the same transaction: each
   * step's WHERE says which change it made, so two reports at once never count one delivery twice.
   */
  async record(
    deliveryId: number,
    bounce: { type: BounceType; status: string | null; text: string | null; at: string },
  ): Promise<boolean> {
    const values = {
      bounced_at: bounce.at,
      bounce_type: bounce.type,
      bounce_status: bounce.status,
      bounce_text: bounce.text,
    };
    const isBounce = bounce.type !== "complaint";
    const first = await this.db
      .updateTable("deliveries")
      .set(values)
      .where("id", "=", deliveryId)
      .where("bounce_type", "is", null)
      .returning("run_id")
      .executeTakeFirst();
    if (first) {
      if (isBounce) await this.countBounced(first.run_id, 1);
      return true;
    }
    const weaker: BounceType[] =
      bounce.type === "complaint" ? ["soft", "hard"] : bounce.type === "hard" ? ["soft"] : [];
    if (weaker.length === 0) return false;
    const replaced = await this.db
      .updateTable("deliveries")
      .set(values)
      .where("id", "=", deliveryId)
      .where("bounce_type", "in", weaker)
      .returning("run_id")
      .executeTakeFirst();
    // A complaint replacing a bounce: the delivery no longer counts as bounced (it counts as unsubscribed).
    if (replaced && !isBounce) await this.countBounced(replaced.run_id, -1);
    return replaced !== undefined;
  }

  private async countBounced(runId: number, by: 1 | -1): Promise<void> {
    await this.db
      .updateTable("runs")
      .set((eb) => ({ bounced_count: eb("bounced_count", "+", by) }))
      .where("id", "=", runId)
      .execute();
  }

  /**
   * How often an owner's mail to an address failed for good because the address does not exist: hard
   * bounces of type 5.1.x (or with no status, as a webhook may send), and the worker's own 5.1.x failures
   * at RCPT. Over deliveries_email_lower_idx.
   */
  async hardCount(ownerId: number, email: string): Promise<number> {
    const row = await this.db
      .selectFrom("deliveries")
      .innerJoin("runs", "runs.id", "deliveries.run_id")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where(sql`lower(deliveries.email)`, "=", sql`lower(${email})`)
      .where("mailings.owner_id", "=", ownerId)
      .where((eb) =>
        eb.or([
          eb.and([
            eb("deliveries.bounce_type", "=", "hard"),
            eb.or([
              eb("deliveries.bounce_status", "is", null),
              eb("deliveries.bounce_status", "like", "5.1.%"),
            ]),
          ]),
          eb.and([eb("deliveries.status", "=", "failed"), eb("deliveries.last_enhanced", "like", "5.1.%")]),
        ]),
      )
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The bounce types of an owner's last `limit` deliveries that went out to an address, newest first. */
  async lastBounceTypes(ownerId: number, email: string, limit: number): Promise<(BounceType | null)[]> {
    const rows = await this.db
      .selectFrom("deliveries")
      .innerJoin("runs", "runs.id", "deliveries.run_id")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .select("deliveries.bounce_type")
      .where(sql`lower(deliveries.email)`, "=", sql`lower(${email})`)
      .where("mailings.owner_id", "=", ownerId)
      .where("deliveries.status", "in", ["sent", "failed"])
      .orderBy("deliveries.id", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => r.bounce_type);
  }

  /** A finished run's deliveries that failed at RCPT with 5.1.x (over deliveries_run_status_idx). */
  hardFailuresOf(runId: number): Promise<BouncedDelivery[]> {
    return this.withOwner()
      .where("deliveries.run_id", "=", runId)
      .where("deliveries.status", "=", "failed")
      .where("deliveries.last_enhanced", "like", "5.1.%")
      .execute();
  }
}
