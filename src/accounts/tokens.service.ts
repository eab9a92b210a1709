/**
 * Personal API tokens: created (shown once) and revoked on the profile page and from the CLI, and checked on
 * every API request. A token is "pp_" and 43 random base64url characters; only its SHA-256 is stored.
 */
import { randomBytes } from "node:crypto";
import type { Database } from "../db/database.js";
import type { User } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { ConflictError, NotFoundError } from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { hashToken } from "./accounts.service.js";
import { type TokenListItem, TokensRepository } from "./tokens.repository.js";
import { tokenSchema } from "./tokens.schemas.js";
import { UsersRepository } from "./users.repository.js";

export const TOKEN_PREFIX = "pp_";
const MAX_TOKENS_PER_USER = 50;
/** last_used_at is written at most this often per token, so API calls do not each cost a write. */
const TOUCH_MS = 60_000;

export interface NewToken {
  /** The token itself: shown to the user once and never stored. */
  token: string;
  item: TokenListItem;
}

export class TokensService {
  private readonly tokens: TokensRepository;
  private readonly users: UsersRepository;

  constructor(
    database: Database,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = new TokensRepository(database.db);
    this.users = new UsersRepository(database.db);
  }

  list(actor: Actor): Promise<TokenListItem[]> {
    return this.tokens.listForUser(actor.id);
  }

  async create(actor: Actor, input: unknown): Promise<NewToken> {
    const data = parseInput(tokenSchema, input ?? {});
    if ((await this.tokens.countForUser(actor.id)) >= MAX_TOKENS_PER_USER) {
      throw new ConflictError(
        `You have ${MAX_TOKENS_PER_USER} tokens already. Revoke one you no longer use.`,
      );
    }
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
    const { token_hash: _, ...item } = await this.tokens.insert({
      user_id: actor.id,
      name: data.name,
      token_hash: hashToken(token),
      created_at: iso(this.clock.now()),
      last_used_at: null,
    });
    return { token, item };
  }

  async revoke(actor: Actor, id: number): Promise<void> {
    if (!(await this.tokens.delete(id, actor.id))) throw new NotFoundError("Token not found");
  }

  /** The user behind an API token, or null (unknown, revoked, or the user is blocked or unconfirmed). */
  async authenticate(token: string): Promise<{ user: User; tokenId: number } | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return null;
    const found = await this.tokens.findWithUser(hashToken(token));
    if (!found || found.user.blocked_at || !found.user.email_confirmed_at) return null;
    const now = this.clock.now();
    const last = found.token.last_used_at;
    if (!last || now.getTime() - Date.parse(last) > TOUCH_MS)
      await this.tokens.touch(found.token.id, iso(now));
    return { user: found.user, tokenId: found.token.id };
  }

  /** For the operator's command line: a user's tokens by email. */
  async listForEmail(email: string): Promise<TokenListItem[]> {
    return this.list(await this.userByEmail(email));
  }

  async createForEmail(email: string, input: unknown): Promise<NewToken & { user: User }> {
    const user = await this.userByEmail(email);
    return { ...(await this.create(user, input)), user };
  }

  /** For the operator's command line: revokes any user's token. */
  async revokeAny(id: number): Promise<void> {
    if (!(await this.tokens.delete(id, null))) throw new NotFoundError(`There is no token ${id}.`);
  }

  private async userByEmail(email: string): Promise<User> {
    const user = await this.users.findByEmail(normalizeEmail(email));
    if (!user) throw new NotFoundError(`There is no user ${email}.`);
    return user;
  }
}
