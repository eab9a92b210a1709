/** Messages: what a mailing sends. A message used by a mailing cannot be deleted until the mailing is. */
import type { Database } from "../db/database.js";
import { isForeignKeyViolation } from "../db/database.js";
import type { Message } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { ConflictError, NotFoundError } from "../shared/errors.js";
import { type Page, pageOf } from "../shared/pagination.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { MessagesRepository } from "./messages.repository.js";
import { type MessageListQuery, messageListQuery, messageSchema } from "./messages.schemas.js";

export class MessagesService {
  private readonly messages: MessagesRepository;

  constructor(
    database: Database,
    private readonly clock: Clock = systemClock,
  ) {
    this.messages = new MessagesRepository(database.db);
  }

  async list(actor: Actor, rawQuery: unknown): Promise<Page<Message> & { query: MessageListQuery }> {
    const query = messageListQuery.parse(rawQuery ?? {});
    const { items, total } = await this.messages.list(actor, query);
    return { ...pageOf(items, total, query.page, query.limit), query };
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
    const data = parseInput(messageSchema, input);
    const now = iso(this.clock.now());
    return this.messages.insert(actor, { ...data, created_at: now, updated_at: now });
  }

  async update(actor: Actor, id: number, input: unknown): Promise<Message> {
    await this.get(actor, id);
    const data = parseInput(messageSchema, input);
    const updated = await this.messages.update(actor, id, { ...data, updated_at: iso(this.clock.now()) });
    if (!updated) throw new NotFoundError("Message not found");
    return updated;
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
