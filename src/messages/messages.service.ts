/** Messages: what a mailing sends. A message used by a mailing cannot be deleted until the mailing is. */

import { AccountEmailsRepository } from "../accounts/account-emails.repository.js";
import type { Database } from "../db/database.js";
import { isForeignKeyViolation } from "../db/database.js";
import type { Message } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { type CursorPage, type CursorQuery, cursorPageOf, startOf } from "../shared/cursor.js";
import { ConflictError, NotFoundError } from "../shared/errors.js";
import { type Page, pageOf } from "../shared/pagination.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import {
  checkMessage,
  fieldKeys,
  type RenderedPreview,
  renderMessage,
  visibleLayout,
} from "./message-rendering.js";
import { MessagesRepository } from "./messages.repository.js";
import {
  type MessageInput,
  type MessageListQuery,
  messageListQuery,
  messageSchema,
  previewSchema,
  testSendSchema,
} from "./messages.schemas.js";

export interface MessagesOptions {
  /** SMTP_FROM: the From of previews and test sends. */
  from: string;
  /** UNSUBSCRIBE_FOOTER: what a message without the link gets, in previews as in runs. */
  unsubscribeFooter: string;
}

/** Test sends per user in TEST_WINDOW_MS (each address counts once). */
export const TEST_LIMIT = 20;
const TEST_WINDOW_MS = 60 * 60_000;

export class MessagesService {
  private readonly messages: MessagesRepository;
  private readonly db: Database["db"];

  constructor(
    database: Database,
    private readonly clock: Clock = systemClock,
    private readonly options: MessagesOptions = {
      from: "PostPilot <postpilot@localhost>",
      unsubscribeFooter: "Unsubscribe: {{unsubscribe_url}}",
    },
  ) {
    this.messages = new MessagesRepository(database.db);
    this.db = database.db;
  }

  async list(actor: Actor, rawQuery: unknown): Promise<Page<Message> & { query: MessageListQuery }> {
    const query = messageListQuery.parse(rawQuery ?? {});
    const { items, total } = await this.messages.list(actor, query);
    return { ...pageOf(items, total, query.page, query.limit), query };
  }

  /** The API's keyset pages, in id order (see shared/cursor.ts). */
  async listByCursor(actor: Actor, query: CursorQuery): Promise<CursorPage<Message>> {
    const { dir, afterId } = startOf(query);
    const [rows, total] = await Promise.all([
      this.messages.listKeyset(actor, query.q, dir, afterId, query.limit),
      this.messages.countMatching(actor, query.q),
    ]);
    return cursorPageOf(rows, query.limit, dir, total);
  }

  listAll(actor: Actor): Promise<Pick<Message, "id" | "subject">[]> {
    return this.messages.listAll(actor);
  }

  async get(actor: Actor, id: number): Promise<Message> {
    const message = await this.messages.findById(actor, id);
    if (!message) throw new NotFoundError("Message not found");
    return message;
  }

  async create(actor: Actor, input: unknown): Promise<Message> {
    const data = await this.checked(actor, input);
    const now = iso(this.clock.now());
    return this.messages.insert(actor, { ...data, created_at: now, updated_at: now });
  }

  async update(actor: Actor, id: number, input: unknown): Promise<Message> {
    await this.get(actor, id);
    const data = await this.checked(actor, input);
    const updated = await this.messages.update(actor, id, { ...data, updated_at: iso(this.clock.now()) });
    if (!updated) throw new NotFoundError("Message not found");
    return updated;
  }

  /** Input parsed, its layout one the actor may use, and its templates checked (line and column). */
  private async checked(actor: Actor, input: unknown): Promise<MessageInput> {
    const data = parseInput(messageSchema, input);
    await visibleLayout(this.db, actor, data.layout_id);
    checkMessage(data, await fieldKeys(this.db, actor));
    return data;
  }

  /** The layouts a message may use: the actor's own and the shared ones. */
  layoutChoices(actor: Actor): Promise<{ id: number; name: string; shared: boolean }[]> {
    return this.db
      .selectFrom("layouts")
      .select(["id", "name", "owner_id"])
      .where((eb) => eb.or([eb("owner_id", "is", null), eb("owner_id", "=", actor.id)]))
      .orderBy("owner_id", "desc")
      .orderBy("name")
      .execute()
      .then((rows) => rows.map((r) => ({ id: r.id, name: r.name, shared: r.owner_id === null })));
  }

  /** Recipients to preview with: the actor's first 100 by name. */
  previewRecipients(actor: Actor): Promise<{ id: number; email: string; full_name: string }[]> {
    return this.db
      .selectFrom("recipients")
      .select(["id", "email", "full_name"])
      .where("owner_id", "=", actor.id)
      .orderBy("full_name")
      .orderBy("id")
      .limit(100)
      .execute();
  }

  /** The message as a run would send it, for one of the actor's recipients or sample values. */
  async preview(actor: Actor, id: number, input: unknown): Promise<RenderedPreview> {
    const message = await this.get(actor, id);
    const { recipient_id, sender_id } = parseInput(previewSchema, input ?? {});
    return renderMessage(this.db, actor, message, {
      recipientId: recipient_id,
      senderId: sender_id,
      from: this.options.from,
      unsubscribeFooter: this.options.unsubscribeFooter,
    });
  }

  /**
   * Queues the rendered message, subject marked [Test], to the actor's own address or up to 5 given ones;
   * sent by the account-mail loop through the same mailer, never in the request and never counted as a run.
   */
  async sendTest(actor: Actor & { email: string }, id: number, input: unknown): Promise<{ to: string[] }> {
    const message = await this.get(actor, id);
    const data = parseInput(testSendSchema, input ?? {});
    const to = data.to.length > 0 ? [...new Set(data.to)] : [actor.email];
    const now = this.clock.now();
    const since = new Date(now.getTime() - TEST_WINDOW_MS).toISOString();
    const sent = await this.db
      .selectFrom("account_emails")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("kind", "=", "test")
      .where("user_id", "=", actor.id)
      .where("created_at", ">=", since)
      .executeTakeFirstOrThrow();
    if (Number(sent.n) + to.length > TEST_LIMIT)
      throw new ConflictError(
        `You can send ${TEST_LIMIT} test emails an hour; ${Math.max(0, TEST_LIMIT - Number(sent.n))} are left now. Try again later.`,
      );
    const rendered = await renderMessage(this.db, actor, message, {
      recipientId: data.recipient_id,
      senderId: data.sender_id,
      from: this.options.from,
      unsubscribeFooter: this.options.unsubscribeFooter,
    });
    const queue = new AccountEmailsRepository(this.db);
    for (const address of to) {
      await queue.enqueue(
        {
          userId: actor.id,
          to: address,
          subject: `[Test] ${rendered.subject}`,
          body: rendered.text,
          html: rendered.html,
          fromHeader: rendered.from,
          kind: "test",
        },
        iso(now),
      );
    }
    return { to };
  }

  mailingsUsing(actor: Actor, id: number): Promise<{ id: number; name: string }[]> {
    return this.messages.mailingsUsing(actor, id);
  }

  async delete(actor: Actor, id: number): Promise<void> {
    await this.get(actor, id);
    const using = await this.messages.mailingsUsing(actor, id);
    if (using.length > 0) throw inUse(using.length);
    try {
      if (!(await this.messages.delete(actor, id))) throw new NotFoundError("Message not found");
    } catch (error) {
      // A mailing created between the check and the delete: the foreign key has the last word.
      if (isForeignKeyViolation(error)) throw inUse(1);
      throw error;
    }
  }
}

function inUse(count: number): ConflictError {
  return new ConflictError(
    `This message is used by ${count === 1 ? "a mailing" : `${count} mailings`}. Delete those mailings or give them another message first.`,
  );
}
