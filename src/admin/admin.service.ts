/**
 * What managers and admins do to other people's accounts and data: block and unblock users, disable and
 * enable mailings (managers and admins), create, edit and delete users and change roles (admins). Each
 * action is written to the audit log in the same transaction as the change.
 */
import { sql } from "kysely";
import { LoginThrottleService, type ThrottleRow } from "../accounts/login-throttle.service.js";
import { LoginThrottlesRepository } from "../accounts/login-throttles.repository.js";
import { hashPassword } from "../accounts/password.js";
import { SessionsRepository } from "../accounts/sessions.repository.js";
import { UsersRepository } from "../accounts/users.repository.js";
import { deleteInChunks } from "../db/chunked.js";
import type { Database, Executor } from "../db/database.js";
import { isUniqueViolation } from "../db/database.js";
import type { AuditAction, AuditEntry, Mailing, Recipient, User } from "../db/schema.js";
import { initialNextRun } from "../delivery/schedule.js";
import { type MailingRow, MailingsRepository } from "../mailings/mailings.repository.js";
import { RecipientsRepository } from "../recipients/recipients.repository.js";
import { recipientListQuery } from "../recipients/recipients.schemas.js";
import { recipientPage } from "../recipients/recipients.service.js";
import type { Actor } from "../shared/actor.js";
import { type CursorPage, type CursorQuery, cursorPageOf, startOf } from "../shared/cursor.js";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { keysetOf, keysetPage, PAGE_SIZE, type Page, pageOf } from "../shared/pagination.js";
import { isAdmin, isStaff } from "../shared/roles.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import {
  auditQuery,
  clearThrottleSchema,
  createUserSchema,
  updateUserSchema,
  userListQuery,
} from "./admin.schemas.js";
import { AuditRepository } from "./audit.repository.js";

/** The one acting: a signed-in manager or admin, or the operator at the command line. */
export type StaffActor = (Actor & { email: string }) | "cli";

/** Reads a user's data as if they were asking: the repositories' owner filter then picks their rows. */
const readAs = (ownerId: number): Actor => ({ id: ownerId, role: "user" });

export class AdminService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
    private readonly mailingsChanged: () => void = () => {},
  ) {}

  private get users() {
    return new UsersRepository(this.database.db);
  }

  private requireStaff(actor: StaffActor): void {
    if (actor !== "cli" && !isStaff(actor)) throw new NotFoundError();
  }

  private requireAdmin(actor: StaffActor): void {
    if (actor !== "cli" && !isAdmin(actor)) throw new NotFoundError();
  }

  async listUsers(
    actor: StaffActor,
    rawQuery: unknown,
  ): Promise<Page<User> & { query: { q: string; page: number } }> {
    this.requireStaff(actor);
    const query = userListQuery.parse(rawQuery ?? {});
    const { items, total } = await this.users.list(query);
    return { ...pageOf(items, total, query.page), query };
  }

  /** The API's keyset pages of users, in id order (see shared/cursor.ts). */
  async listUsersByCursor(actor: StaffActor, query: CursorQuery): Promise<CursorPage<User>> {
    this.requireStaff(actor);
    const { dir, afterId } = startOf(query);
    const { items, total } = await this.users.listKeyset(query.q, dir, afterId, query.limit);
    return cursorPageOf(items, query.limit, dir, total);
  }

  async getUser(actor: StaffActor, id: number): Promise<User> {
    this.requireStaff(actor);
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundError("User not found");
    return user;
  }

  async findUserByEmail(actor: StaffActor, email: string): Promise<User> {
    this.requireStaff(actor);
    const user = await this.users.findByEmail(normalizeEmail(email));
    if (!user) throw new NotFoundError(`No user with the email ${email}.`);
    return user;
  }

  /**
   * Whose rows an API list reads: the actor's own, or with `ownerId` (managers and admins) that user's,
   * read-only as on the staff's user page. A plain user naming anyone but themselves is a 403.
   */
  async readerFor(actor: Actor & { email: string }, ownerId: number | undefined): Promise<Actor> {
    if (ownerId === undefined || ownerId === actor.id) return actor;
    if (!isStaff(actor)) throw new ForbiddenError("Only managers and admins may read other users' data.");
    return readAs((await this.getUser(actor, ownerId)).id);
  }

  /** A user's mailings (newest first) and a page of their recipients, read-only, for the staff's user page. */
  async userData(
    actor: StaffActor,
    userId: number,
    rawQuery: unknown,
  ): Promise<{ mailings: MailingRow[]; recipients: Page<Recipient> }> {
    const user = await this.getUser(actor, userId);
    const query = recipientListQuery.parse(rawQuery ?? {});
    const [mailings, recipients] = await Promise.all([
      new MailingsRepository(this.database.db).latest(readAs(user.id), 100),
      new RecipientsRepository(this.database.db).list(readAs(user.id), query),
    ]);
    return { mailings, recipients: recipientPage(recipients, query) };
  }

  /**
   * Blocks a user: they are logged out everywhere at once (their sessions are deleted), cannot log in, their
   * API tokens stop working, and their mailings stop sending. Managers may block only plain users.
   */
  async setBlocked(actor: StaffActor, userId: number, blocked: boolean): Promise<User> {
    const target = await this.getUser(actor, userId);
    if (actor !== "cli" && actor.id === target.id) throw new ConflictError("You cannot block yourself.");
    if (actor !== "cli" && actor.role === "manager" && target.role !== "user") {
      throw new ForbiddenError("Managers can block only users; ask an admin.");
    }
    if (blocked && target.role === "admin" && (await this.activeAdmins()) <= 1 && !target.blocked_at) {
      throw new ConflictError("This is the last admin who can log in; they cannot be blocked.");
    }
    const now = iso(this.clock.now());
    const updated = await this.database.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable("users")
        .set({ blocked_at: blocked ? (target.blocked_at ?? now) : null, updated_at: now })
        .where("id", "=", target.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (blocked) await new SessionsRepository(tx).deleteForUser(target.id);
      await this.audit(tx, actor, blocked ? "block" : "unblock", "user", target.id, target.email);
      return row;
    });
    this.mailingsChanged();
    return updated;
  }

  /** Disables a mailing (it does not send, and says so) or enables it again (a missed due send goes out once). */
  async setMailingDisabled(actor: StaffActor, mailingId: number, disabled: boolean): Promise<Mailing> {
    this.requireStaff(actor);
    const mailing = await this.database.db
      .selectFrom("mailings")
      .selectAll()
      .where("id", "=", mailingId)
      .executeTakeFirst();
    if (!mailing) throw new NotFoundError("Mailing not found");
    const now = this.clock.now();
    const updated = await this.database.db.transaction().execute(async (tx) => {
      const changes = disabled
        ? { disabled_at: mailing.disabled_at ?? iso(now) }
        : {
            disabled_at: null,
            next_run_at:
              mailing.status === "completed"
                ? mailing.next_run_at
                : initialNextRun(mailing, now, mailing.last_run_at),
          };
      const row = await tx
        .updateTable("mailings")
        .set({ ...changes, updated_at: iso(now) })
        .where("id", "=", mailing.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.audit(
        tx,
        actor,
        disabled ? "disable_mailing" : "enable_mailing",
        "mailing",
        mailing.id,
        mailing.name,
      );
      return row;
    });
    this.mailingsChanged();
    return updated;
  }

  async createUser(actor: StaffActor, input: unknown): Promise<User> {
    this.requireAdmin(actor);
    const data = parseInput(createUserSchema, input);
    const passwordHash = await hashPassword(data.password);
    const now = iso(this.clock.now());
    try {
      return await this.database.db.transaction().execute(async (tx) => {
        const user = await new UsersRepository(tx).insert({
          email: data.email,
          email_normalized: normalizeEmail(data.email),
          name: data.name,
          password_hash: passwordHash,
          time_zone: "UTC",
          role: data.role,
          email_confirmed_at: now,
          blocked_at: null,
          created_at: now,
          updated_at: now,
        });
        await this.audit(tx, actor, "create_user", "user", user.id, user.email, { role: data.role });
        return user;
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ValidationError({ email: "An account with this email already exists." });
      throw error;
    }
  }

  /** Edits a user; a role change logs them out everywhere (their next session gets a new id and the new role). */
  async updateUser(actor: StaffActor, userId: number, input: unknown): Promise<User> {
    this.requireAdmin(actor);
    const target = await this.getUser(actor, userId);
    const data = parseInput(updateUserSchema, input);
    const roleChanged = data.role !== target.role;
    if (roleChanged && target.role === "admin" && (await this.activeAdmins()) <= 1) {
      throw new ValidationError({ role: "This is the last admin: make someone else an admin first." });
    }
    const now = iso(this.clock.now());
    return this.database.db.transaction().execute(async (tx) => {
      const user = await tx
        .updateTable("users")
        .set({ name: data.name, time_zone: data.time_zone, role: data.role, updated_at: now })
        .where("id", "=", target.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (roleChanged) {
        await new SessionsRepository(tx).deleteForUser(target.id);
        await this.audit(tx, actor, "role_change", "user", target.id, target.email, {
          from: target.role,
          to: data.role,
        });
      }
      if (data.name !== target.name || data.time_zone !== target.time_zone) {
        await this.audit(tx, actor, "update_user", "user", target.id, target.email);
      }
      return user;
    });
  }

  /** Deletes a user with all their data. Admins delete their own account from their profile instead. */
  async deleteUser(actor: StaffActor, userId: number): Promise<void> {
    this.requireAdmin(actor);
    const target = await this.getUser(actor, userId);
    if (actor !== "cli" && actor.id === target.id) {
      throw new ConflictError("Delete your own account from your profile page.");
    }
    if (target.role === "admin" && (await this.activeAdmins()) <= 1) {
      throw new ConflictError("This is the last admin; they cannot be deleted.");
    }
    // The bulk of their rows first, in short chunks (a user may have millions of deliveries and recipients),
    // then the user row, whose cascade removes what is left (a few rows, or what arrived meanwhile).
    const { db } = this.database;
    const theirRuns = sql`run_id in (select runs.id from runs join mailings on mailings.id = runs.mailing_id
      where mailings.owner_id = ${target.id})`;
    await deleteInChunks(db, "delivery_attempts", theirRuns);
    await deleteInChunks(db, "deliveries", theirRuns);
    await deleteInChunks(db, "recipients", sql`owner_id = ${target.id}`);
    await this.database.db.transaction().execute(async (tx) => {
      await tx.deleteFrom("users").where("id", "=", target.id).execute();
      await this.audit(tx, actor, "delete_user", "user", target.id, target.email);
    });
  }

  async auditLog(
    actor: StaffActor,
    rawQuery: unknown,
  ): Promise<Page<AuditEntry> & { query: ReturnType<typeof auditQuery.parse> }> {
    this.requireAdmin(actor);
    const query = auditQuery.parse(rawQuery ?? {});
    const { rows, seek, total, capped } = await new AuditRepository(this.database.db).list(query);
    const page = keysetPage(rows, PAGE_SIZE, seek, (e) => [e.created_at, e.id]);
    return { ...keysetOf(page, { total, capped }, PAGE_SIZE), query };
  }

  private async activeAdmins(): Promise<number> {
    const row = await this.database.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("role", "=", "admin")
      .where("blocked_at", "is", null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The login throttles of the last day (admins only): which account, from where, blocked until when. */
  async loginThrottles(actor: StaffActor): Promise<ThrottleRow[]> {
    if (actor !== "cli" && !isAdmin(actor)) throw new NotFoundError();
    return new LoginThrottleService(this.database, this.clock).recent();
  }

  /** Clears an account's login failures from every address (admins only), audited. */
  async clearLoginThrottle(actor: StaffActor, input: unknown): Promise<string> {
    if (actor !== "cli" && !isAdmin(actor)) throw new NotFoundError();
    const account = normalizeEmail(parseInput(clearThrottleSchema, input).account);
    await this.database.db.transaction().execute(async (tx) => {
      if ((await new LoginThrottlesRepository(tx).clear(account)) === 0)
        throw new NotFoundError(`There is no login throttle for ${account}.`);
      const user = await new UsersRepository(tx).findByEmail(account);
      await this.audit(tx, actor, "clear_throttle", "user", user?.id ?? 0, account);
    });
    return account;
  }

  private async audit(
    db: Executor,
    actor: StaffActor,
    action: AuditAction,
    targetType: "user" | "mailing",
    targetId: number,
    targetLabel: string,
    details?: Record<string, string>,
  ): Promise<void> {
    await new AuditRepository(db).insert({
      actor_id: actor === "cli" ? null : actor.id,
      actor_email: actor === "cli" ? "command line" : actor.email,
      action,
      target_type: targetType,
      target_id: targetId,
      target_label: targetLabel,
      details: details ? JSON.stringify(details) : "",
      created_at: iso(this.clock.now()),
    });
  }
}
