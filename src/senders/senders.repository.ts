/**
 * SQL for sender identities. Senders belong to the installation, not to a user (admins manage them, every
 * user may pick one), so these methods take no acting user; SendersService checks who may write.
 */
import type { Insertable, Updateable } from "kysely";
import type { Executor } from "../db/database.js";
import type { Sender, SenderTable } from "../db/schema.js";

/** Admins configure a handful; the pickers and the list show them all, bounded all the same. */
export const MAX_SENDERS = 500;

export class SendersRepository {
  constructor(private readonly db: Executor) {}

  list(): Promise<Sender[]> {
    return this.db
      .selectFrom("senders")
      .selectAll()
      .orderBy("from_name")
      .orderBy("id")
      .limit(MAX_SENDERS)
      .execute();
  }

  findById(id: number): Promise<Sender | undefined> {
    return this.db.selectFrom("senders").selectAll().where("id", "=", id).executeTakeFirst();
  }

  insert(sender: Insertable<SenderTable>): Promise<Sender> {
    return this.db.insertInto("senders").values(sender).returningAll().executeTakeFirstOrThrow();
  }

  update(id: number, changes: Updateable<SenderTable>): Promise<Sender | undefined> {
    return this.db.updateTable("senders").set(changes).where("id", "=", id).returningAll().executeTakeFirst();
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.db.deleteFrom("senders").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** How many mailings (anyone's) send as this sender; while any do, it cannot be deleted. */
  async mailingsUsing(id: number): Promise<number> {
    const row = await this.db
      .selectFrom("mailings")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("sender_id", "=", id)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
