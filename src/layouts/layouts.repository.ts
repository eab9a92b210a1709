/**
 * SQL for layouts. A user sees their own layouts and the shared ones (owner_id null); every read takes the
 * acting user. Writes are by id: LayoutsService decides first who may change which layout.
 */
import type { Insertable, Updateable } from "kysely";
import type { Executor } from "../db/database.js";
import type { Layout, LayoutTable } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";

/** A user keeps a handful; the list and the message form's picker show them all, bounded all the same. */
export const MAX_LAYOUTS = 500;

export class LayoutsRepository {
  constructor(private readonly db: Executor) {}

  /** layouts_owner_idx: the actor's own, plus the shared ones. */
  private usable(actor: Actor) {
    return this.db
      .selectFrom("layouts")
      .where((eb) => eb.or([eb("owner_id", "=", actor.id), eb("owner_id", "is", null)]));
  }

  /** Shared first (the built-in one at the top), then the actor's own, by name. */
  list(actor: Actor): Promise<Layout[]> {
    return this.usable(actor)
      .selectAll()
      .orderBy("builtin", "desc")
      .orderBy((eb) => eb.case().when("owner_id", "is", null).then(0).else(1).end())
      .orderBy("name")
      .orderBy("id")
      .limit(MAX_LAYOUTS)
      .execute();
  }

  findUsable(actor: Actor, id: number): Promise<Layout | undefined> {
    return this.usable(actor).selectAll().where("id", "=", id).executeTakeFirst();
  }

  insert(layout: Insertable<LayoutTable>): Promise<Layout> {
    return this.db.insertInto("layouts").values(layout).returningAll().executeTakeFirstOrThrow();
  }

  update(id: number, changes: Updateable<LayoutTable>): Promise<Layout | undefined> {
    return this.db.updateTable("layouts").set(changes).where("id", "=", id).returningAll().executeTakeFirst();
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom("layouts")
      .where("id", "=", id)
      .where("builtin", "=", 0)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** How many messages (anyone's: a shared layout serves everyone) use it; messages_layout_idx. */
  async messagesUsing(id: number): Promise<number> {
    const row = await this.db
      .selectFrom("messages")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("layout_id", "=", id)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The actor's own messages that use it, to link from the delete page. */
  ownMessagesUsing(actor: Actor, id: number): Promise<{ id: number; subject: string }[]> {
    return this.db
      .selectFrom("messages")
      .select(["id", "subject"])
      .where("layout_id", "=", id)
      .where("owner_id", "=", actor.id)
      .orderBy("subject")
      .limit(50)
      .execute();
  }
}
