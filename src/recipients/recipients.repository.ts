/** SQL for recipients. Every method takes the acting user: an owner filter cannot be forgotten. */
import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { NewRecipient, Recipient, RecipientUpdate } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { likePattern } from "../shared/pagination.js";
import type { RecipientListQuery } from "./recipients.schemas.js";

export class RecipientsRepository {
  constructor(private readonly db: Executor) {}

  private owned(actor: Actor) {
    return this.db.selectFrom("recipients").where("recipients.owner_id", "=", actor.id);
  }

  private search(actor: Actor, q: string) {
    return this.owned(actor).$if(q !== "", (qb) =>
      qb.where((eb) =>
        eb.or([
          eb(sql`lower(recipients.email)`, "like", sql`${likePattern(q)} escape '\\'`),
          eb(sql`lower(recipients.full_name)`, "like", sql`${likePattern(q)} escape '\\'`),
        ]),
      ),
    );
  }

  async list(actor: Actor, query: RecipientListQuery): Promise<{ items: Recipient[]; total: number }> {
    const column = query.sort === "email" ? "email_normalized" : query.sort;
    const [items, total] = await Promise.all([
      this.search(actor, query.q)
        .selectAll()
        .orderBy(column === "full_name" ? sql`lower(full_name)` : column, query.dir)
        .orderBy("id", query.dir)
        .limit(query.limit)
        .offset((query.page - 1) * query.limit)
        .execute(),
      this.countMatching(actor, query.q),
    ]);
    return { items, total };
  }

  async countMatching(actor: Actor, q: string): Promise<number> {
    const row = await this.search(actor, q)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Ids of the actor's recipients matching a search (for "select all matching"). */
  async idsMatching(actor: Actor, q: string): Promise<number[]> {
    const rows = await this.search(actor, q).select("id").execute();
    return rows.map((r) => r.id);
  }

  /** Of the given ids, those that belong to the actor. */
  async ownedIds(actor: Actor, ids: number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const found: number[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.owned(actor)
        .select("id")
        .where("id", "in", ids.slice(i, i + 500))
        .execute();
      for (const row of rows) found.push(row.id);
    }
    return found;
  }

  /** The next page of the actor's recipients by id (keyset paging: export reads them all, a page at a time). */
  listAfter(actor: Actor, afterId: number, limit: number): Promise<Recipient[]> {
    return this.owned(actor).selectAll().where("id", ">", afterId).orderBy("id").limit(limit).execute();
  }

  findById(actor: Actor, id: number): Promise<Recipient | undefined> {
    return this.owned(actor).selectAll().where("id", "=", id).executeTakeFirst();
  }

  findByEmail(actor: Actor, emailNormalized: string): Promise<Recipient | undefined> {
    return this.owned(actor).selectAll().where("email_normalized", "=", emailNormalized).executeTakeFirst();
  }

  insert(actor: Actor, recipient: Omit<NewRecipient, "owner_id">): Promise<Recipient> {
    return this.db
      .insertInto("recipients")
      .values({ ...recipient, owner_id: actor.id })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(
    actor: Actor,
    id: number,
    changes: Omit<RecipientUpdate, "owner_id" | "id">,
  ): Promise<Recipient | undefined> {
    return this.db
      .updateTable("recipients")
      .set(changes)
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(actor: Actor, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom("recipients")
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The actor's mailings that include a recipient (shown before deleting it). */
  mailingsOf(actor: Actor, recipientId: number): Promise<{ id: number; name: string }[]> {
    return this.db
      .selectFrom("mailing_recipients")
      .innerJoin("mailings", "mailings.id", "mailing_recipients.mailing_id")
      .select(["mailings.id", "mailings.name"])
      .where("mailing_recipients.recipient_id", "=", recipientId)
      .where("mailings.owner_id", "=", actor.id)
      .orderBy("mailings.name")
      .execute();
  }
}
