/**
 * Lists: named groups of an owner's recipients (a recipient can be in several), a mailing's audience part,
 * and the home of a public signup form. Names are unique per owner, ignoring case and spaces.
 */
import { randomBytes } from "node:crypto";
import type { Database } from "../db/database.js";
import { isUniqueViolation } from "../db/database.js";
import type { List } from "../db/schema.js";
import { RecipientsRepository } from "../recipients/recipients.repository.js";
import type { Actor } from "../shared/actor.js";
import { type CursorPage, type CursorQuery, cursorPageOf, startOf } from "../shared/cursor.js";
import { ConflictError, NotFoundError } from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { type Page, pageOf } from "../shared/pagination.js";
import { isStaff } from "../shared/roles.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { type ListRow, ListsRepository, type ListWrite } from "./lists.repository.js";
import { type ListListQuery, listListQuery, listSchema, membersChangeSchema } from "./lists.schemas.js";

/** A slug for /subscribe/<slug>: the name's letters, and a random part so it is unique and not guessable. */
export function slugFor(name: string): string {
  const base = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  const suffix = randomBytes(4).toString("hex");
  return base ? `${base}-${suffix}` : suffix;
}

export const normalizeName = (name: string) => name.trim().toLowerCase().replace(/\s+/g, " ");

export class ListsService {
  private readonly lists: ListsRepository;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
  ) {
    this.lists = new ListsRepository(database.db);
  }

  async list(actor: Actor, rawQuery: unknown): Promise<Page<ListRow> & { query: ListListQuery }> {
    const query = listListQuery.parse(rawQuery ?? {});
    const { items, total } = await this.lists.list(actor, query);
    return { ...pageOf(items, total, query.page, query.limit), query };
  }

  /** The API's keyset pages, in id order (see shared/cursor.ts). */
  async listByCursor(actor: Actor, query: CursorQuery): Promise<CursorPage<ListRow>> {
    const { dir, afterId } = startOf(query);
    const { items, total } = await this.lists.listKeyset(actor, query.q, dir, afterId, query.limit);
    return cursorPageOf(items, query.limit, dir, total);
  }

  all(actor: Actor): Promise<Pick<List, "id" | "name">[]> {
    return this.lists.all(actor);
  }

  /** One of the actor's lists by name, ignoring case and spaces (the CLI names lists). */
  async findByName(actor: Actor, name: string): Promise<List> {
    const found = (await this.lists.all(actor)).find((l) => normalizeName(l.name) === normalizeName(name));
    if (!found) throw new NotFoundError(`There is no list named ${JSON.stringify(name.slice(0, 100))}.`);
    return (await this.lists.findById(actor, found.id))!;
  }

  async get(actor: Actor, id: number): Promise<ListRow> {
    const list = await this.lists.findById(actor, id);
    if (!list) throw new NotFoundError("List not found");
    return list;
  }

  /** A list to look at: the actor's own, or (managers and admins) anyone's, read-only. */
  async view(actor: Actor, id: number): Promise<ListRow> {
    if (!isStaff(actor)) return this.get(actor, id);
    const any = await this.lists.findAnyById(id);
    if (!any) throw new NotFoundError("List not found");
    return this.get({ id: any.owner_id, role: "user" }, id);
  }

  async create(actor: Actor, input: unknown): Promise<List> {
    const data = this.parse(input);
    const now = iso(this.clock.now());
    try {
      return await this.lists.insert(actor, { ...data, slug: slugFor(data.name), created_at: now });
    } catch (error) {
      throw duplicateOr(error);
    }
  }

  async update(actor: Actor, id: number, input: unknown): Promise<List> {
    await this.get(actor, id);
    const data = this.parse(input);
    try {
      const updated = await this.lists.update(actor, id, data);
      if (!updated) throw new NotFoundError("List not found");
      return updated;
    } catch (error) {
      throw duplicateOr(error);
    }
  }

  async delete(actor: Actor, id: number): Promise<void> {
    if (!(await this.lists.delete(actor, id))) throw new NotFoundError("List not found");
  }

  listsOf(actor: Actor, recipientId: number): Promise<Pick<List, "id" | "name">[]> {
    return this.lists.listsOf(actor, recipientId);
  }

  mailingsUsing(actor: Actor, listId: number): Promise<{ id: number; name: string }[]> {
    return this.lists.mailingsUsing(actor, listId);
  }

  /** Adds the actor's recipients named by id or address; those that are not theirs are reported back. */
  async addMembers(actor: Actor, listId: number, input: unknown) {
    await this.get(actor, listId);
    const { ids, missing } = await this.resolve(actor, input);
    const changed = await this.lists.addIds(listId, ids, iso(this.clock.now()));
    return { changed, unchanged: ids.length - changed, missing };
  }

  async removeMembers(actor: Actor, listId: number, input: unknown) {
    await this.get(actor, listId);
    const { ids, missing } = await this.resolve(actor, input);
    const changed = await this.lists.removeIds(listId, ids);
    return { changed, unchanged: ids.length - changed, missing };
  }

  private async resolve(
    actor: Actor,
    input: unknown,
  ): Promise<{ ids: number[]; missing: (number | string)[] }> {
    const change = parseInput(membersChangeSchema, input);
    const recipients = new RecipientsRepository(this.database.db);
    const owned = new Set(await recipients.ownedIds(actor, change.ids));
    const missing: (number | string)[] = change.ids.filter((id) => !owned.has(id));
    const byEmail = await recipients.idsByEmails(actor, change.emails, normalizeEmail);
    for (const rid of byEmail.ids) owned.add(rid);
    missing.push(...byEmail.missing);
    return { ids: [...owned], missing };
  }

  private parse(input: unknown): ListWrite {
    const data = parseInput(listSchema, input);
    return {
      name: data.name,
      name_normalized: normalizeName(data.name),
      description: data.description,
      signup_enabled: data.signup_enabled ? 1 : 0,
      signup_ask_name: data.signup_ask_name ? 1 : 0,
      signup_fields: JSON.stringify(data.signup_fields),
      signup_redirect_url: data.signup_redirect_url || null,
      updated_at: iso(this.clock.now()),
    };
  }
}

function duplicateOr(error: unknown): unknown {
  return isUniqueViolation(error)
    ? new ConflictError("You already have a list with this name.", "name")
    : error;
}
