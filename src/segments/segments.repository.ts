/** SQL for segments (saved filters). Every method takes the acting user. */
import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { Recipient, Segment } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { type CompileContext, segmentWhere } from "./segment.sql.js";
import type { SegmentDefinition } from "./segments.schemas.js";

type SegmentWrite = Pick<Segment, "name" | "name_normalized" | "definition" | "updated_at">;

export class SegmentsRepository {
  constructor(private readonly db: Executor) {}

  private owned(actor: Actor) {
    return this.db.selectFrom("segments").where("segments.owner_id", "=", actor.id);
  }

  /** Every segment of the actor by name (segments are few: pickers and the list page). */
  all(actor: Actor): Promise<Segment[]> {
    return this.owned(actor).selectAll().orderBy(sql`lower(name)`).orderBy("id").execute();
  }

  findById(actor: Actor, id: number): Promise<Segment | undefined> {
    return this.owned(actor).selectAll().where("id", "=", id).executeTakeFirst();
  }

  insert(actor: Actor, segment: SegmentWrite & { created_at: string }): Promise<Segment> {
    return this.db
      .insertInto("segments")
      .values({ ...segment, owner_id: actor.id })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(actor: Actor, id: number, changes: SegmentWrite): Promise<Segment | undefined> {
    return this.db
      .updateTable("segments")
      .set(changes)
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .returningAll()
      .executeTakeFirst();
  }

  private matching(actor: Actor, definition: SegmentDefinition, ctx: CompileContext) {
    return this.db
      .selectFrom("recipients")
      .where("recipients.owner_id", "=", actor.id)
      .where((eb) => segmentWhere(eb, definition, ctx));
  }

  /** How many of the actor's recipients match (the segment page's live count, the API's /count). */
  async count(actor: Actor, definition: SegmentDefinition, ctx: CompileContext): Promise<number> {
    const row = await this.matching(actor, definition, ctx)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The first matching recipients by id (the page's sample). */
  sample(
    actor: Actor,
    definition: SegmentDefinition,
    ctx: CompileContext,
    limit: number,
  ): Promise<Recipient[]> {
    return this.matching(actor, definition, ctx)
      .selectAll("recipients")
      .orderBy("recipients.id")
      .limit(limit)
      .execute();
  }

  /** Ids of the matching recipients (tests compare them with filtering in memory). */
  async ids(actor: Actor, definition: SegmentDefinition, ctx: CompileContext): Promise<number[]> {
    const rows = await this.matching(actor, definition, ctx)
      .select("recipients.id")
      .orderBy("recipients.id")
      .execute();
    return rows.map((r) => r.id);
  }

  /** Mailings whose audience uses the segment (shown before deleting it). */
  mailingsUsing(actor: Actor, segmentId: number): Promise<{ id: number; name: string }[]> {
    return this.db
      .selectFrom("mailing_audiences")
      .innerJoin("mailings", "mailings.id", "mailing_audiences.mailing_id")
      .select(["mailings.id", "mailings.name"])
      .distinct()
      .where("mailing_audiences.segment_id", "=", segmentId)
      .where("mailings.owner_id", "=", actor.id)
      .orderBy("mailings.name")
      .execute();
  }

  async delete(actor: Actor, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom("segments")
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
