/** SQL for login sessions. The cookie holds a random token; only its SHA-256 is stored. */
import type { Executor } from "../db/database.js";
import type { NewSession, Session, User } from "../db/schema.js";

export class SessionsRepository {
  constructor(private readonly db: Executor) {}

  async insert(session: NewSession): Promise<void> {
    await this.db.insertInto("sessions").values(session).execute();
  }

  /**
   * The live session's user and when the session was last used, in one query (primary key of sessions,
   * then of users): a signed-in page costs one round trip for who is asking.
   */
  async findUser(idHash: string, now: string): Promise<{ lastSeenAt: string; user: User } | undefined> {
    const row = await this.db
      .selectFrom("sessions")
      .innerJoin("users", "users.id", "sessions.user_id")
      .selectAll("users")
      .select("sessions.last_seen_at as session_last_seen_at")
      .where("sessions.id_hash", "=", idHash)
      .where("sessions.expires_at", ">", now)
      .executeTakeFirst();
    if (!row) return undefined;
    const { session_last_seen_at: lastSeenAt, ...user } = row;
    return { lastSeenAt, user };
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
