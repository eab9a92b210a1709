/** SQL for personal API tokens. Only the token's SHA-256 is stored. */
import type { Executor } from "../db/database.js";
import type { ApiToken, NewApiToken, User } from "../db/schema.js";

export type TokenListItem = Omit<ApiToken, "token_hash">;

export class TokensRepository {
  constructor(private readonly db: Executor) {}

  insert(token: NewApiToken): Promise<ApiToken> {
    return this.db.insertInto("api_tokens").values(token).returningAll().executeTakeFirstOrThrow();
  }

  listForUser(userId: number): Promise<TokenListItem[]> {
    return this.db
      .selectFrom("api_tokens")
      .select(["id", "user_id", "name", "created_at", "last_used_at"])
      .where("user_id", "=", userId)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .execute();
  }

  async countForUser(userId: number): Promise<number> {
    const row = await this.db
      .selectFrom("api_tokens")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", userId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The token and its user, by the token's hash. */
  async findWithUser(tokenHash: string): Promise<{ token: ApiToken; user: User } | undefined> {
    const token = await this.db
      .selectFrom("api_tokens")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    if (!token) return undefined;
    const user = await this.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", token.user_id)
      .executeTakeFirst();
    return user ? { token, user } : undefined;
  }

  async touch(id: number, lastUsedAt: string): Promise<void> {
    await this.db.updateTable("api_tokens").set({ last_used_at: lastUsedAt }).where("id", "=", id).execute();
  }

  /** Deletes a token; with a user id, only if it is theirs. */
  async delete(id: number, userId: number | null): Promise<boolean> {
    const result = await this.db
      .deleteFrom("api_tokens")
      .where("id", "=", id)
      .$if(userId !== null, (qb) => qb.where("user_id", "=", userId!))
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
