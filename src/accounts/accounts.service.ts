/** Accounts: first-run setup, registration, login sessions, profile, password, account deletion. */
import { createHash, randomBytes } from "node:crypto";
import type { Database } from "../db/database.js";
import { isUniqueViolation } from "../db/database.js";
import type { Role, Session, User } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  TooManyAttemptsError,
  UnauthorizedError,
  ValidationError,
} from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { type Page, pageOf } from "../shared/pagination.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { EmailNotConfirmedError } from "./account-links.errors.js";
import {
  changePasswordSchema,
  deleteAccountSchema,
  loginSchema,
  profileSchema,
  registerSchema,
} from "./accounts.schemas.js";
import { LoginThrottleService } from "./login-throttle.service.js";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./password.js";
import { SessionsRepository } from "./sessions.repository.js";
import { TwoFactorService } from "./two-factor.service.js";
import { UsersRepository } from "./users.repository.js";

const SESSION_TTL_MS = 30 * 24 * 3600_000;
const SESSION_TOUCH_MS = 3600_000;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Who is logging in: the client address (throttling) and user agent (the sessions list). */
export interface ClientInfo {
  ip: string;
  userAgent?: string | undefined;
}

export type LoginResult =
  | { session: NewSession; secondFactor?: never }
  | { secondFactor: User; session?: never };

export interface NewSession {
  token: string;
  idHash: string;
  user: User;
}

export class AccountsService {
  private readonly users: UsersRepository;
  private readonly sessions_: SessionsRepository;
  private setupDone = false;
  readonly throttle: LoginThrottleService;
  private readonly twoFactor: TwoFactorService;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
    twoFactor?: TwoFactorService,
  ) {
    this.users = new UsersRepository(database.db);
    this.sessions_ = new SessionsRepository(database.db);
    this.throttle = new LoginThrottleService(database, clock);
    this.twoFactor = twoFactor ?? new TwoFactorService(database, clock);
  }

  /** True until the first user exists; cached once false, since users are never all deleted by setup. */
  async needsSetup(): Promise<boolean> {
    if (this.setupDone) return false;
    const count = await this.users.count();
    this.setupDone = count > 0;
    return !this.setupDone;
  }

  /** Creates the first admin. Refused once any user exists (two tabs racing both see a clear error). */
  async setupFirstAdmin(input: unknown): Promise<User> {
    const data = parseInput(registerSchema, input);
    const passwordHash = await hashPassword(data.password);
    const user = await this.database.db.transaction().execute(async (tx) => {
      const users = new UsersRepository(tx);
      if ((await users.count()) > 0) throw new ForbiddenError("PostPilot is already set up. Log in instead.");
      return this.insertUser(users, {
        email: data.email,
        name: data.name,
        passwordHash,
        role: "admin",
        timeZone: data.time_zone,
      });
    });
    this.setupDone = true;
    return user;
  }

  /** For the CLI: creates an admin, or refuses when the email is taken. */
  async createAdmin(input: { email: string; password: string; name?: string }): Promise<User> {
    const data = parseInput(registerSchema, {
      email: input.email,
      password: input.password,
      name: input.name ?? "",
    });
    const passwordHash = await hashPassword(data.password);
    const user = await this.insertUser(this.users, {
      email: data.email,
      name: data.name,
      passwordHash,
      role: "admin",
      timeZone: data.time_zone,
    });
    this.setupDone = true;
    return user;
  }

  private async insertUser(
    users: UsersRepository,
    data: { email: string; name: string; passwordHash: string; role: Role; timeZone: string },
  ): Promise<User> {
    const now = iso(this.clock.now());
    try {
      return await users.insert({
        email: data.email,
        email_normalized: normalizeEmail(data.email),
        name: data.name,
        password_hash: data.passwordHash,
        time_zone: data.timeZone,
        role: data.role,
        email_confirmed_at: now,
        blocked_at: null,
        created_at: now,
        updated_at: now,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ValidationError({ email: "An account with this email already exists. Log in instead." });
      }
      throw error;
    }
  }

  /** Checks the password and opens a new session (a fresh id every login). */
  /**
   * Checks email and password (throttled per account and client address: login-throttle.service.ts) and
   * opens a session, or, when the account has two-factor sign-in on, says a code is needed next
   * (`secondStep`). `client`: the request's address and user agent.
   */
  async login(input: unknown, client: ClientInfo = { ip: "unknown" }): Promise<LoginResult> {
    const data = parseInput(loginSchema, input);
    const account = normalizeEmail(data.email);
    const wait = await this.throttle.wait(account, client.ip);
    if (wait > 0) throw new TooManyAttemptsError(wait);
    const user = await this.users.findByEmail(account);
    const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), data.password);
    if (!user || !ok) {
      await this.throttle.failed(account, client.ip);
      throw new ValidationError({ _form: "Wrong email or password." }, "Wrong email or password.");
    }
    await this.throttle.succeeded(account, client.ip);
    if (user.blocked_at)
      throw new ValidationError({ _form: "This account is blocked. Contact an administrator." });
    // Only said once the password was right, so it tells a stranger nothing.
    if (!user.email_confirmed_at) throw new EmailNotConfirmedError();
    if (user.totp_enabled_at) return { secondFactor: user };
    return { session: await this.openSession(user, client) };
  }

  /** The code step of a login with two-factor sign-in (throttled like the password). */
  async secondStep(userId: number, input: unknown, client: ClientInfo): Promise<NewSession> {
    const user = await this.users.findById(userId);
    if (!user || user.blocked_at || !user.totp_enabled_at) throw new UnauthorizedError();
    const wait = await this.throttle.wait(user.email_normalized, client.ip);
    if (wait > 0) throw new TooManyAttemptsError(wait);
    if (!(await this.twoFactor.check(user, input))) {
      await this.throttle.failed(user.email_normalized, client.ip);
      throw new ValidationError({ code: "That code is not right, or was used already." });
    }
    return this.openSession(user, client);
  }

  /** The user's sessions, most recently used first (the profile's security page). */
  async sessions(actor: Actor): Promise<Session[]> {
    return this.sessions_.listForUser(actor.id, iso(this.clock.now()));
  }

  /** Logs out every session of the user but the current one. */
  async logoutOthers(actor: Actor, currentIdHash: string | null): Promise<void> {
    await this.sessions_.deleteForUser(actor.id, currentIdHash ?? undefined);
  }

  async openSession(user: User, client?: ClientInfo): Promise<NewSession> {
    const token = randomBytes(32).toString("base64url");
    const idHash = hashToken(token);
    const now = this.clock.now();
    await this.sessions_.insert({
      id_hash: idHash,
      user_id: user.id,
      created_at: iso(now),
      last_seen_at: iso(now),
      expires_at: iso(new Date(now.getTime() + SESSION_TTL_MS)),
      client_ip: client?.ip ?? null,
      user_agent: client?.userAgent?.slice(0, 300) ?? null,
    });
    return { token, idHash, user };
  }

  /** The user behind a session cookie, or null. Extends the session while it is in use. */
  async authenticate(token: string): Promise<{ user: User; idHash: string } | null> {
    if (!token || token.length > 100) return null;
    const idHash = hashToken(token);
    const now = this.clock.now();
    const found = await this.sessions_.findUser(idHash, iso(now));
    if (!found || found.user.blocked_at) return null;
    if (now.getTime() - Date.parse(found.lastSeenAt) > SESSION_TOUCH_MS) {
      await this.sessions_.touch(idHash, iso(now), iso(new Date(now.getTime() + SESSION_TTL_MS)));
    }
    return { user: found.user, idHash };
  }

  async logout(idHash: string | null): Promise<void> {
    if (idHash) await this.sessions_.delete(idHash);
  }

  async getUser(actor: Actor): Promise<User> {
    const user = await this.users.findById(actor.id);
    if (!user) throw new NotFoundError("Account not found");
    return user;
  }

  async updateProfile(actor: Actor, input: unknown): Promise<User> {
    const data = parseInput(profileSchema, input);
    const user = await this.users.update(actor.id, {
      name: data.name,
      time_zone: data.time_zone,
      ...(data.locale !== undefined && { locale: data.locale }),
      updated_at: iso(this.clock.now()),
    });
    if (!user) throw new NotFoundError("Account not found");
    return user;
  }

  /** Changes the password and ends every other session of the user. */
  async changePassword(actor: Actor, input: unknown, currentSessionIdHash: string | null): Promise<void> {
    const data = parseInput(changePasswordSchema, input);
    const user = await this.getUser(actor);
    if (!(await verifyPassword(user.password_hash, data.current_password))) {
      throw new ValidationError({ current_password: "The current password is not right." });
    }
    await this.users.update(actor.id, {
      password_hash: await hashPassword(data.new_password),
      updated_at: iso(this.clock.now()),
    });
    await this.sessions_.deleteForUser(actor.id, currentSessionIdHash ?? undefined);
  }

  /** Deletes the account with all its recipients, messages and mailings, after the password is confirmed. */
  async deleteAccount(actor: Actor, input: unknown): Promise<void> {
    const data = parseInput(deleteAccountSchema, input);
    const user = await this.getUser(actor);
    if (!(await verifyPassword(user.password_hash, data.password))) {
      throw new ValidationError({ password: "The password is not right." });
    }
    if (user.role === "admin" && (await this.users.countByRole("admin")) <= 1) {
      throw new ConflictError(
        "You are the only admin. Make someone else an admin before deleting your account.",
      );
    }
    await this.users.delete(actor.id);
  }

  async listUsers(actor: Actor, query: { q: string; page: number }): Promise<Page<User>> {
    if (actor.role !== "admin" && actor.role !== "manager") throw new NotFoundError();
    const { items, total } = await this.users.list(query);
    return pageOf(items, total, query.page);
  }

  assertLoggedIn(user: User | null): asserts user is User {
    if (!user) throw new UnauthorizedError();
  }
}
