/** SQL for confirmation and reset tokens. Only a token's SHA-256 is stored. */
import type { Executor } from "../db/database.js";
import type { AccountToken, AccountTokenPurpose } from "../db/schema.js";

export class AccountTokensRepository {
  constructor(private readonly db: Executor) {}

  async insert(token: {
    userId: number;
    purpose: AccountTokenPurpose;
    tokenHash: string;
    createdAt: string;
    expiresAt: string;
  }): Promise<void> {
    await this.db
      .insertInto("account_tokens")
      .values({
        user_id: token.userId,
        purpose: token.purpose,
        token_hash: token.tokenHash,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
        used_at: null,
      })
      .execute();
  }

  find(tokenHash: string, purpose: AccountTokenPurpose): Promise<AccountToken | undefined> {
    return this.db
      .selectFrom("account_tokens")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .where("purpose", "=", purpose)
      .executeTakeFirst();
  }

  /** Marks the token used if it still is unused and unexpired (compare-and-set: one of two racers wins). */
  async use(id: number, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable("account_tokens")
      .set({ used_at: now })
      .where("id", "=", id)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Ends the user's other open tokens of this purpose (a new link replaces the old ones). */
  async retireOpen(userId: number, purpose: AccountTokenPurpose, now: string): Promise<void> {
    await this.db
      .updateTable("account_tokens")
      .set({ used_at: now })
      .where("user_id", "=", userId)
      .where("purpose", "=", purpose)
      .where("used_at", "is", null)
      .execute();
  }
}
