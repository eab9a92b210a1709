/**
 * Accounts through emailed links: registration with email confirmation, a new confirmation link, and
 * password reset. Tokens are random (32 bytes), stored as SHA-256, single use and short-lived. Every
 * email is only queued here (account_emails); the account-mail sender sends it outside the request.
 * Answers never tell whether an address has an account.
 */
import { randomBytes } from "node:crypto";
import type { Database, Executor } from "../db/database.js";
import { isUniqueViolation } from "../db/database.js";
import type { AccountToken, AccountTokenPurpose, User } from "../db/schema.js";
import type { Locale } from "../i18n/index.js";
import { normalizeEmail } from "../shared/fields.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { AccountEmailsRepository } from "./account-emails.repository.js";
import { TokenError } from "./account-links.errors.js";
import { emailOnlySchema, resetPasswordSchema } from "./account-links.schemas.js";
import {
  alreadyRegisteredEmail,
  CONFIRM_TTL_MS,
  confirmEmail,
  type EmailText,
  RESET_TTL_MS,
  resetEmail,
  siteLink,
} from "./account-mail.texts.js";
import { AccountTokensRepository } from "./account-tokens.repository.js";
import { registerSchema } from "./accounts.schemas.js";
import { hashToken } from "./accounts.service.js";
import { hashPassword } from "./password.js";
import { SessionsRepository } from "./sessions.repository.js";
import { UsersRepository } from "./users.repository.js";

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export interface AccountLinksOptions {
  clock?: Clock;
  /**
   * The base of links in emails: PUBLIC_URL, or the address PostPilot listens on (config.ts
   * `publicBaseUrl`; a function when the port is known only once listening). Never a request's Host
   * header, which anyone can set (a reset link to their own server). Default: http://localhost.
   */
  baseUrl?: string | (() => string);
}

export class AccountLinksService {
  private readonly clock: Clock;
  private readonly baseUrl: () => string;
  private readonly users: UsersRepository;
  private readonly tokens: AccountTokensRepository;

  constructor(
    private readonly database: Database,
    options: AccountLinksOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    const base = options.baseUrl ?? "http://localhost";
    this.baseUrl = typeof base === "function" ? base : () => base;
    this.users = new UsersRepository(database.db);
    this.tokens = new AccountTokensRepository(database.db);
  }

  /**
   * Creates an unconfirmed account and queues its confirmation link. An address that already has an
   * account gets the same answer; its owner is told by email instead, and nothing changes.
   * `requestLocale` is the language of the request: emails use the account's language, else that one.
   */
  async register(input: unknown, requestLocale?: Locale): Promise<void> {
    const data = parseInput(registerSchema, input);
    const emailNormalized = normalizeEmail(data.email);
    // Hashed in both cases, so the answer takes as long whether or not the address is known.
    const passwordHash = await hashPassword(data.password);
    const base = this.base();
    const existing = await this.users.findByEmail(emailNormalized);
    if (existing) return this.queueAlreadyRegistered(existing, base, requestLocale);
    try {
      await this.database.db.transaction().execute(async (tx) => {
        const now = iso(this.clock.now());
        const user = await new UsersRepository(tx).insert({
          email: data.email,
          email_normalized: emailNormalized,
          name: data.name,
          password_hash: passwordHash,
          time_zone: data.time_zone,
          role: "user",
          email_confirmed_at: null,
          blocked_at: null,
          created_at: now,
          updated_at: now,
        });
        await this.queueLink(tx, user, "confirm", base, requestLocale);
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Two registrations raced: the other one created the account.
      const winner = await this.users.findByEmail(emailNormalized);
      if (winner) await this.queueAlreadyRegistered(winner, base, requestLocale);
    }
  }

  /** Confirms the address behind a confirmation link; returns the user, to be logged in. */
  async confirm(token: unknown): Promise<User> {
    const found = await this.usable(token, "confirm");
    const now = iso(this.clock.now());
    if (!(await this.tokens.use(found.id, now))) throw new TokenError("used");
    const user = await this.users.findById(found.user_id);
    if (!user) throw new TokenError("invalid");
    if (user.email_confirmed_at) return user;
    return (await this.users.update(user.id, { email_confirmed_at: now, updated_at: now })) ?? user;
  }

  /** Queues a new confirmation link when the address has an unconfirmed account; silent otherwise. */
  async resendConfirmation(input: unknown, requestLocale?: Locale): Promise<void> {
    const data = parseInput(emailOnlySchema, input);
    const user = await this.users.findByEmail(normalizeEmail(data.email));
    if (!user || user.email_confirmed_at || user.blocked_at) return;
    await this.database.db.transaction().execute(async (tx) => {
      await this.queueLink(tx, user, "confirm", this.base(), requestLocale);
    });
  }

  /** Queues a reset link when the address has an account; silent otherwise. */
  async requestReset(input: unknown, requestLocale?: Locale): Promise<void> {
    const data = parseInput(emailOnlySchema, input);
    const user = await this.users.findByEmail(normalizeEmail(data.email));
    if (!user || user.blocked_at) return;
    await this.database.db.transaction().execute(async (tx) => {
      await this.queueLink(tx, user, "reset", this.base(), requestLocale);
    });
  }

  /** Throws a TokenError unless the reset link can still be used (the form is shown only then). */
  async checkResetToken(token: unknown): Promise<void> {
    await this.usable(token, "reset");
  }

  /**
   * Sets a new password from a reset link, uses the link up, ends every session of the user and confirms
   * the address (the link proved it). Returns the user, to be logged in with a fresh session.
   */
  async resetPassword(input: unknown): Promise<User> {
    const data = parseInput(resetPasswordSchema, input);
    const found = await this.usable(data.token, "reset");
    const passwordHash = await hashPassword(data.password);
    const now = iso(this.clock.now());
    const user = await this.database.db.transaction().execute(async (tx) => {
      if (!(await new AccountTokensRepository(tx).use(found.id, now))) throw new TokenError("used");
      const users = new UsersRepository(tx);
      const current = await users.findById(found.user_id);
      if (!current) throw new TokenError("invalid");
      const updated = await users.update(current.id, {
        password_hash: passwordHash,
        email_confirmed_at: current.email_confirmed_at ?? now,
        updated_at: now,
      });
      await new SessionsRepository(tx).deleteForUser(current.id);
      return updated ?? current;
    });
    return user;
  }

  private async usable(token: unknown, purpose: AccountTokenPurpose): Promise<AccountToken> {
    if (typeof token !== "string" || !TOKEN_FORMAT.test(token)) throw new TokenError("invalid");
    const found = await this.tokens.find(hashToken(token), purpose);
    if (!found) throw new TokenError("invalid");
    if (found.used_at) throw new TokenError("used");
    if (found.expires_at <= iso(this.clock.now())) throw new TokenError("expired");
    return found;
  }

  /** A new link replaces the user's earlier open links of the same purpose. */
  private async queueLink(
    tx: Executor,
    user: User,
    purpose: AccountTokenPurpose,
    base: string,
    requestLocale: Locale | undefined,
  ) {
    const token = randomBytes(32).toString("base64url");
    const now = this.clock.now();
    const tokens = new AccountTokensRepository(tx);
    await tokens.retireOpen(user.id, purpose, iso(now));
    const ttl = purpose === "confirm" ? CONFIRM_TTL_MS : RESET_TTL_MS;
    await tokens.insert({
      userId: user.id,
      purpose,
      tokenHash: hashToken(token),
      createdAt: iso(now),
      expiresAt: iso(new Date(now.getTime() + ttl)),
    });
    const locale = user.locale ?? requestLocale;
    const text =
      purpose === "confirm"
        ? confirmEmail(siteLink(base, "/confirm", token), locale)
        : resetEmail(siteLink(base, "/reset", token), locale);
    await this.queue(tx, user, text);
  }

  private queueAlreadyRegistered(user: User, base: string, requestLocale: Locale | undefined): Promise<void> {
    const locale = user.locale ?? requestLocale;
    const text = alreadyRegisteredEmail(siteLink(base, "/login"), siteLink(base, "/forgot"), locale);
    return this.queue(this.database.db, user, text);
  }

  private queue(db: Executor, user: User, text: EmailText): Promise<void> {
    return new AccountEmailsRepository(db).enqueue(
      { userId: user.id, to: user.email, subject: text.subject, body: text.body },
      iso(this.clock.now()),
    );
  }

  private base(): string {
    return this.baseUrl().replace(/\/+$/, "");
  }
}
