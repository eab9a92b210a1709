/** SQL for messages. Every method takes the acting user. */
import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { Message, MessageUpdate, NewMessage } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { likePattern } from "../shared/pagination.js";
import type { MessageListQuery } from "./messages.schemas.js";

export class MessagesRepository {
  constructor(private readonly db: Executor) {}

  private owned(actor: Actor) {
    return this.db.selectFrom("messages").where("messages.owner_id", "=", actor.id);
  }

  /** The API's keyset page after a row id in id order (messages_pkey with the owner filter), limit + 1 rows. */
  listKeyset(actor: Actor, q: string, dir: "asc" | "desc", afterId: number | null, limit: number) {
    return this.searched(actor, q)
      .selectAll()
      .$if(afterId !== null, (qb) => qb.where("id", dir === "asc" ? ">" : "<", afterId!))
      .orderBy("id", dir)
      .limit(limit + 1)
      .execute();
  }

  async countMatching(actor: Actor, q: string): Promise<number> {
    const row = await this.searched(actor, q)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private searched(actor: Actor, q: string) {
    return this.owned(actor).$if(q !== "", (qb) =>
      qb.where((eb) =>
        eb.or([
          eb(sql`lower(subject)`, "like", sql`${likePattern(q)} escape '\\'`),
          eb(sql`lower(body)`, "like", sql`${likePattern(q)} escape '\\'`),
        ]),
      ),
    );
  }

  async list(actor: Actor, query: MessageListQuery): Promise<{ items: Message[]; total: number }> {
    const base = this.owned(actor).$if(query.q !== "", (qb) =>
      qb.where((eb) =>
        eb.or([
          eb(sql`lower(subject)`, "like", sql`${likePattern(query.q)} escape '\\'`),
          eb(sql`lower(body)`, "like", sql`${likePattern(query.q)} escape '\\'`),
        ]),
      ),
    );
    const [items, total] = await Promise.all([
      base
        .selectAll()
        .orderBy(query.sort === "subject" ? sql`lower(subject)` : "created_at", query.dir)
        .orderBy("id", query.dir)
        .limit(query.limit)
        .offset((query.page - 1) * query.limit)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }

  /** All of the actor's messages, newest first, for the mailing form's picker. */
  listAll(actor: Actor): Promise<Pick<Message, "id" | "subject">[]> {
    return this.owned(actor)
      .select(["id", "subject"])
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .execute();
  }

  findById(actor: Actor, id: number): Promise<Message | undefined> {
    return this.owned(actor).selectAll().where("id", "=", id).executeTakeFirst();
  }

  insert(actor: Actor, message: Omit<NewMessage, "owner_id">): Promise<Message> {
    return this.db
      .insertInto("messages")
      .values({ ...message, owner_id: actor.id })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(
    actor: Actor,
    id: number,
    changes: Omit<MessageUpdate, "owner_id" | "id">,
  ): Promise<Message | undefined> {
    return this.db
      .updateTable("messages")
      .set(changes)
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(actor: Actor, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom("messages")
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Mailings that send this message; while there are any, the message cannot be deleted. */
  mailingsUsing(actor: Actor, messageId: number): Promise<{ id: number; name: string }[]> {
    return this.db
      .selectFrom("mailings")
      .select(["id", "name"])
      .where("message_id", "=", messageId)
      .where("owner_id", "=", actor.id)
      .orderBy("name")
      .execute();
  }
}
