/**
 * Mailings: a message sent to a set of recipients once or repeatedly between a first send and an end.
 * This service keeps the row consistent (owned message, status, next planned run); the scheduler in
 * delivery/ does the sending.
 */
import { AudienceRepository } from "../audiences/audience.repository.js";
import { NO_AUDIENCE } from "../audiences/audience.schemas.js";
import type { Database, Executor } from "../db/database.js";
import type { Mailing } from "../db/schema.js";
import { initialNextRun } from "../delivery/schedule.js";
import { membersChangeSchema } from "../lists/lists.schemas.js";
import { MessagesRepository } from "../messages/messages.repository.js";
import { RecipientsRepository } from "../recipients/recipients.repository.js";
import { SendersRepository } from "../senders/senders.repository.js";
import type { Actor } from "../shared/actor.js";
import { type CursorPage, type CursorQuery, cursorPageOf, startOf } from "../shared/cursor.js";
import { NotFoundError, ValidationError } from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { keysetOf, keysetPage, type Page, pageOf } from "../shared/pagination.js";
import { isStaff } from "../shared/roles.js";
import { effectiveScope, type Scope } from "../shared/scope.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { statusFor } from "./mailing-status.js";
import { type MailingRow, MailingsRepository, type MemberRow, mailingKey } from "./mailings.repository.js";
import {
  initialPickedSchema,
  initialRecipientsSchema,
  type MailingInput,
  type MailingListQuery,
  type MemberQuery,
  mailingListQuery,
  mailingSchema,
  memberChangeSchema,
  memberQuery,
} from "./mailings.schemas.js";

/**
 * Told (and awaited) after an owner's mailing is created, changed or deleted: an in-process scheduler looks
 * at once, and the home page figures are invalidated.
 */
export type MailingsChanged = (ownerId: number) => void | Promise<void>;

export class MailingsService {
  private readonly mailings: MailingsRepository;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
    private readonly changed: MailingsChanged = () => {},
  ) {
    this.mailings = new MailingsRepository(database.db);
  }

  /** The actor's mailings, or (managers and admins, scope "all") every user's, read-only for others'. */
  async list(
    actor: Actor,
    rawQuery: unknown,
  ): Promise<Page<MailingRow & { owner_email: string }> & { query: MailingListQuery; scope: Scope }> {
    const query = mailingListQuery.parse(rawQuery ?? {});
    const { rows, seek, total, capped } = await this.mailings.list(actor, query);
    const scope = effectiveScope(actor, query);
    if (seek.from === "start" && query.page > 1)
      return { ...pageOf(rows, total, query.page, query.limit), capped, query, scope };
    const page = keysetPage(rows, query.limit, seek, mailingKey(query.sort));
    return { ...keysetOf(page, { total, capped }, query.limit), query, scope };
  }

  /** The API's keyset pages, in id order (see shared/cursor.ts). */
  async listByCursor(actor: Actor, query: CursorQuery): Promise<CursorPage<MailingRow>> {
    const { dir, afterId } = startOf(query);
    const [rows, total] = await Promise.all([
      this.mailings.listKeyset(actor, query.q, dir, afterId, query.limit),
      this.mailings.countMatching(actor, query.q),
    ]);
    return cursorPageOf(rows, query.limit, dir, total);
  }

  /** All mailings (optionally one owner's), for `postpilot mailings`: the operator acts for everyone. */
  listForOperator(ownerEmail?: string): Promise<(MailingRow & { owner_email: string })[]> {
    return this.mailings.listForOperator(ownerEmail ? normalizeEmail(ownerEmail) : null);
  }

  /** The newest mailings: the actor's own, or for managers and admins asking for all users everyone's. */
  latest(
    actor: Actor,
    limit = 5,
    scope: "mine" | "all" = "mine",
  ): Promise<(MailingRow & { owner_email?: string })[]> {
    if (scope === "all" && isStaff(actor)) return this.mailings.latestOfAll(limit);
    return this.mailings.latest(actor, limit);
  }

  async get(actor: Actor, id: number): Promise<MailingRow> {
    const mailing = await this.mailings.findById(actor, id);
    if (!mailing) throw new NotFoundError("Mailing not found");
    return mailing;
  }

  /**
   * A mailing to look at: the owner's own, or (for managers and admins) anyone's, read-only. owner_email is
   * set when the viewer is not the owner.
   */
  async view(actor: Actor, id: number): Promise<MailingRow & { owner_email?: string }> {
    if (!isStaff(actor)) return this.get(actor, id);
    const mailing = await this.mailings.findAnyById(id);
    if (!mailing) throw new NotFoundError("Mailing not found");
    return mailing.owner_id === actor.id ? { ...mailing, owner_email: undefined } : mailing;
  }

  /**
   * Creates a mailing with its first recipients: all, those matching a search, none yet, or (API) exactly
   * the recipient_ids / recipient_emails given.
   */
  async create(actor: Actor, input: unknown): Promise<Mailing> {
    const data = this.parseSchedule(input);
    const initial = parseInput(initialRecipientsSchema, input);
    if (initial.recipient_mode === "matching" && initial.recipient_q === "") {
      throw new ValidationError({ recipient_q: "Enter the text recipients must match." });
    }
    const picked = parseInput(initialPickedSchema, input);
    const pickedGiven = picked.recipient_ids !== undefined || picked.recipient_emails !== undefined;
    const mode = (input as { recipient_mode?: unknown } | null)?.recipient_mode;
    if (pickedGiven && mode !== undefined && mode !== "none") {
      throw new ValidationError({
        recipient_mode: "With recipient_ids or recipient_emails, leave recipient_mode out (or none).",
      });
    }
    const now = this.clock.now();
    const mailing = await this.database.db.transaction().execute(async (tx) => {
      await this.assertOwnMessage(new MessagesRepository(tx), actor, data.message_id);
      await this.assertSender(new SendersRepository(tx), data.sender_id);
      const nextRunAt = initialNextRun(data, now, null);
      const row = await new MailingsRepository(tx).insert(actor, {
        ...data,
        status: statusFor({ ...data, last_run_at: null }, nextRunAt, now),
        disabled_at: null,
        next_run_at: nextRunAt,
        last_run_at: null,
        created_at: iso(now),
        updated_at: iso(now),
      });
      // "All my recipients" is live: each run reaches everyone the owner has then. "Matching" picks the
      // recipients that match now, individually.
      if (pickedGiven) {
        await this.pickInitial(tx, actor, row.id, picked.recipient_ids ?? [], picked.recipient_emails ?? []);
      } else if (initial.recipient_mode === "all") {
        await new AudienceRepository(tx).replace(row.id, { ...NO_AUDIENCE, all: true });
      } else if (initial.recipient_mode === "matching") {
        await new MailingsRepository(tx).addMatching(actor, row.id, initial.recipient_q);
      }
      return row;
    });
    await this.changed(actor.id);
    return mailing;
  }

  /** Changes a mailing; a new schedule is planned afresh (a due occurrence not yet sent goes out now). */
  async update(actor: Actor, id: number, input: unknown): Promise<Mailing> {
    const existing = await this.get(actor, id);
    const data = this.parseSchedule(input, existing.end_at);
    const now = this.clock.now();
    const updated = await this.database.db.transaction().execute(async (tx) => {
      await this.assertOwnMessage(new MessagesRepository(tx), actor, data.message_id);
      await this.assertSender(new SendersRepository(tx), data.sender_id);
      const nextRunAt = initialNextRun(data, now, existing.last_run_at);
      const row = await new MailingsRepository(tx).update(actor, id, {
        ...data,
        next_run_at: nextRunAt,
        status: statusFor({ ...data, last_run_at: existing.last_run_at }, nextRunAt, now),
        updated_at: iso(now),
      });
      if (!row) throw new NotFoundError("Mailing not found");
      if ((existing.send_window ?? null) !== data.send_window) {
        await new MailingsRepository(tx).bringHeldForward(id, iso(now));
      }
      return row;
    });
    await this.changed(actor.id);
    return updated;
  }

  async delete(actor: Actor, id: number): Promise<void> {
    if (!(await this.mailings.delete(actor, id))) throw new NotFoundError("Mailing not found");
    await this.changed(actor.id);
  }

  async members(
    actor: Actor,
    id: number,
    rawQuery: unknown,
  ): Promise<Page<MemberRow> & { query: MemberQuery; picked: number }> {
    await this.get(actor, id);
    const query = memberQuery.parse(rawQuery ?? {});
    const [{ items, total }, picked] = await Promise.all([
      this.mailings.members(actor, id, query),
      this.mailings.pickedCount(id),
    ]);
    return { ...pageOf(items, total, query.page), query, picked };
  }

  /** The picked recipients of a mailing to look at (the owner's, or for staff anyone's: see view). */
  async viewPicked(actor: Actor, id: number, rawQuery: unknown): Promise<Page<MemberRow>> {
    const mailing = await this.view(actor, id);
    const owner: Actor = { id: mailing.owner_id, role: "user" };
    const query = memberQuery.parse(rawQuery ?? {});
    const { items, total } = await this.mailings.members(owner, id, query);
    return pageOf(items, total, query.page);
  }

  /** The API's keyset pages of a mailing's picked recipients, in recipient id order (shared/cursor.ts). */
  async viewPickedByCursor(
    actor: Actor,
    id: number,
    query: CursorQuery,
  ): Promise<CursorPage<Pick<MemberRow, "id" | "email" | "full_name">>> {
    const mailing = await this.view(actor, id);
    const owner: Actor = { id: mailing.owner_id, role: "user" };
    const { dir, afterId } = startOf(query);
    const { items, total } = await this.mailings.pickedKeyset(owner, id, query.q, dir, afterId, query.limit);
    return cursorPageOf(items, query.limit, dir, total);
  }

  /** Adds or removes recipients: the checked ones, or all of the owner's recipients matching a search. */
  async changeMembers(actor: Actor, id: number, input: unknown): Promise<string> {
    await this.get(actor, id);
    const change = parseInput(memberChangeSchema, input);
    const recipients = new RecipientsRepository(this.database.db);
    let message: string;
    switch (change.action) {
      case "add":
      case "remove": {
        const ids = await recipients.ownedIds(actor, change.ids);
        if (ids.length === 0) throw new ValidationError({ ids: "Tick at least one recipient first." });
        if (change.action === "add") await this.mailings.addIds(id, ids);
        else await this.mailings.removeIds(id, ids);
        message = `${ids.length} recipient${ids.length === 1 ? "" : "s"} ${change.action === "add" ? "added" : "removed"}.`;
        break;
      }
      case "add_matching":
      case "remove_matching": {
        const count = await recipients.countMatching(actor, change.q);
        if (change.action === "add_matching") await this.mailings.addMatching(actor, id, change.q);
        else await this.mailings.removeMatching(actor, id, change.q);
        const which = change.q ? `matching “${change.q}”` : "";
        const where = change.action === "add_matching" ? "in" : "out of";
        const who =
          count === 1 ? `The 1 recipient ${which} is now` : `All ${count} recipients ${which} are now`;
        message = `${who} ${where} this mailing.`.replace(/\s+/g, " ");
        break;
      }
    }
    await this.changed(actor.id);
    return message;
  }

  /**
   * The API's change of individually picked recipients, named by id or address (the lists' schema): how
   * many were added (or removed), were already (or not) picked, and which are not among the actor's
   * recipients. One transaction.
   */
  async changePicked(
    actor: Actor,
    id: number,
    action: "add" | "remove",
    input: unknown,
  ): Promise<{ changed: number; unchanged: number; missing: (number | string)[] }> {
    await this.get(actor, id);
    const change = parseInput(membersChangeSchema, input);
    const result = await this.database.db.transaction().execute(async (tx) => {
      const recipients = new RecipientsRepository(tx);
      const owned = new Set(await recipients.ownedIds(actor, change.ids));
      const missing: (number | string)[] = change.ids.filter((rid) => !owned.has(rid));
      const byEmail = await recipients.idsByEmails(actor, change.emails, normalizeEmail);
      for (const rid of byEmail.ids) owned.add(rid);
      missing.push(...byEmail.missing);
      const ids = [...owned];
      const mailings = new MailingsRepository(tx);
      const picked = new Set(await mailings.pickedAmong(id, ids));
      const toChange = ids.filter((rid) => (action === "add" ? !picked.has(rid) : picked.has(rid)));
      if (action === "add") await mailings.addIds(id, toChange);
      else await mailings.removeIds(id, toChange);
      return { changed: toChange.length, unchanged: ids.length - toChange.length, missing };
    });
    if (result.changed > 0) await this.changed(actor.id);
    return result;
  }

  /** A new mailing's picked recipients; any id or address the actor does not have is a 422 naming them. */
  private async pickInitial(
    tx: Executor,
    actor: Actor,
    mailingId: number,
    ids: number[],
    emails: string[],
  ): Promise<void> {
    const recipients = new RecipientsRepository(tx);
    const owned = new Set(await recipients.ownedIds(actor, ids));
    const missing: (number | string)[] = ids.filter((rid) => !owned.has(rid));
    const byEmail = await recipients.idsByEmails(actor, emails, normalizeEmail);
    for (const rid of byEmail.ids) owned.add(rid);
    missing.push(...byEmail.missing);
    if (missing.length > 0) {
      const shown = missing.slice(0, 10).join(", ");
      throw new ValidationError({
        [typeof missing[0] === "number" ? "recipient_ids" : "recipient_emails"]:
          `Not among your recipients: ${shown}${missing.length > 10 ? ` and ${missing.length - 10} more` : ""}.`,
      });
    }
    await new MailingsRepository(tx).addIds(mailingId, [...owned]);
  }

  /** Parses the form; a new or changed end must lie in the future (an unchanged past end may stay). */
  private parseSchedule(input: unknown, currentEndAt?: string): MailingInput {
    const data = parseInput(mailingSchema, input);
    if (data.end_at !== currentEndAt && Date.parse(data.end_at) <= this.clock.now().getTime()) {
      throw new ValidationError({ end_at: "End is in the past: the mailing would never send." });
    }
    return data;
  }

  private async assertOwnMessage(
    messages: MessagesRepository,
    actor: Actor,
    messageId: number,
  ): Promise<void> {
    if (!(await messages.findById(actor, messageId))) {
      throw new ValidationError({ message_id: "Choose one of your messages." });
    }
  }

  /** Any sender may be picked by anyone (senders are the installation's, not a user's). */
  private async assertSender(senders: SendersRepository, senderId: number | null): Promise<void> {
    if (senderId !== null && !(await senders.findById(senderId))) {
      throw new ValidationError({ sender_id: "Choose one of the senders in the list." });
    }
  }
}
