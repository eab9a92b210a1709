/**
 * SQL for signups through a list's public form: pending rows with a hashed token, confirmation, and the
 * recipient and membership a confirmation creates. No acting user: the visitor is not signed in; the list
 * (found by its slug) names the owner.
 */
import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { Recipient, Signup } from "../db/schema.js";

export class SignupRepository {
  constructor(private readonly db: Executor) {}

  insert(signup: Omit<Signup, "id" | "confirmed_at" | "confirm_ip" | "recipient_id">): Promise<Signup> {
    return this.db.insertInto("signups").values(signup).returningAll().executeTakeFirstOrThrow();
  }

  /** How many signups an address made to a list since a time (over signups_list_email_idx). */
  async recentFor(listId: number, emailNormalized: string, since: string): Promise<number> {
    const row = await this.db
      .selectFrom("signups")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("list_id", "=", listId)
      .where("email_normalized", "=", emailNormalized)
      .where("created_at", ">=", since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Over signups_token_uq. */
  findByToken(tokenHash: string): Promise<Signup | undefined> {
    return this.db.selectFrom("signups").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
  }

  /** Marks it confirmed once (compare-and-set): false when another request confirmed it first. */
  async confirm(id: number, now: string, ip: string, recipientId: number): Promise<boolean> {
    const result = await this.db
      .updateTable("signups")
      .set({ confirmed_at: now, confirm_ip: ip, recipient_id: recipientId })
      .where("id", "=", id)
      .where("confirmed_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The owner's recipient with this address, created (with the signup's name) when there is none. */
  async findOrCreateRecipient(
    ownerId: number,
    person: { email: string; email_normalized: string; full_name: string },
    now: string,
  ): Promise<{ recipient: Recipient; created: boolean }> {
    const inserted = await this.db
      .insertInto("recipients")
      .values({ ...person, owner_id: ownerId, comment: "", created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(["owner_id", "email_normalized"]).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { recipient: inserted, created: true };
    const existing = await this.db
      .selectFrom("recipients")
      .selectAll()
      .where("owner_id", "=", ownerId)
      .where("email_normalized", "=", person.email_normalized)
      .executeTakeFirstOrThrow();
    return { recipient: existing, created: false };
  }

  async addMember(listId: number, recipientId: number, now: string): Promise<void> {
    await this.db
      .insertInto("list_members")
      .values({ list_id: listId, recipient_id: recipientId, added_at: now })
      .onConflict((oc) => oc.columns(["list_id", "recipient_id"]).doNothing())
      .execute();
  }

  /** The consent record of a list (newest first, bounded): who signed up and confirmed, when, from where. */
  consentOf(listId: number, limit: number): Promise<Signup[]> {
    return this.db
      .selectFrom("signups")
      .selectAll()
      .where("list_id", "=", listId)
      .orderBy(sql`coalesce(confirmed_at, created_at)`, "desc")
      .limit(limit)
      .execute();
  }
}
