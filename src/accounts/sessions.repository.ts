/** SQL for login sessions. The cookie holds a random token; only its SHA-256 is stored. */
import type { Executor } from "../db/database.js";
import type { NewSession, Session, User } from "../db/schema.js";

export class SessionsRepository {
  constructor(private readonly db: Executor) {}

  async insert(session: NewSession): Promise<void> {
    await this.db.insertInto("sessions").values(session).execute();
  }

  async findUser(idHash: string, now: string): Promise<{ session: Session; user: User } | undefined> {
    const session = await this.db
      .selectFrom("sessions")
      .selectAll()
      .where("id_hash", "=", idHash)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    if (!session) return undefined;
    const user = await this.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", session.user_id)
      .executeTakeFirst();
    return user ? { session, user } : undefined;
  }

  async touch(idHash: string, lastSeenAt: string, expiresAt: string): Promise<void> {
    await this.db
      .updateTable("sessions")
      .set({ last_seen_at: lastSeenAt, expires_at: expiresAt })
      .where("id_hash", "=", idHash)
      .execute();
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("id_hash", "=", idHash).execute();
  }

  /** A user's live sessions, most recently used first (few per user: no index beyond user_id needed). */
  listForUser(userId: number, now: string): Promise<Session[]> {
    return this.db
      .selectFrom("sessions")
      .selectAll()
      .where("user_id", "=", userId)
      .where("expires_at", ">", now)
      .orderBy("last_seen_at", "desc")
      .limit(100)
      .execute();
  }

  async deleteForUser(userId: number, exceptIdHash?: string): Promise<void> {
    await this.db
      .deleteFrom("sessions")
      .where("user_id", "=", userId)
      .$if(exceptIdHash !== undefined, (qb) => qb.where("id_hash", "!=", exceptIdHash!))
      .execute();
  }

  async deleteExpired(now: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("expires_at", "<=", now).execute();
  }
}
