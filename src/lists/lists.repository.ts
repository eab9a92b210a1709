/** SQL for lists and their members. Every method over a user's lists takes the acting user. */
import { type SelectQueryBuilder, sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { List, Tables } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { likePattern } from "../shared/pagination.js";
import type { ListListQuery } from "./lists.schemas.js";

export type ListRow = List & { member_count: number };
export type ListWrite = Omit<List, "id" | "owner_id" | "created_at" | "slug">;

const CHUNK = 500;

export class ListsRepository {
  constructor(private readonly db: Executor) {}

  private owned(actor: Actor) {
    return this.db.selectFrom("lists").where("lists.owner_id", "=", actor.id);
  }

  private withCounts(actor: Actor) {
    // Counted over list_members_pk (list_id, recipient_id): only the lists of one page.
    return this.owned(actor)
      .selectAll("lists")
      .select((eb) =>
        eb
          .selectFrom("list_members")
          .whereRef("list_members.list_id", "=", "lists.id")
          .select((e) => e.fn.countAll<number>().as("n"))
          .as("member_count"),
      );
  }

  async list(actor: Actor, query: ListListQuery): Promise<{ items: ListRow[]; total: number }> {
    const search = <T extends ReturnType<ListsRepository["owned"]>>(qb: T) =>
      query.q === ""
        ? qb
        : (qb.where(sql`lower(lists.name)`, "like", sql`${likePattern(query.q)} escape '\\'`) as T);
    const [items, total] = await Promise.all([
      search(this.withCounts(actor))
        .orderBy(query.sort === "name" ? sql`lower(lists.name)` : sql.ref(`lists.${query.sort}`), query.dir)
        .orderBy("lists.id", query.dir)
        .limit(query.limit)
        .offset((query.page - 1) * query.limit)
        .execute(),
      search(this.owned(actor))
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
    ]);
    return { items: items.map(numberCount), total: Number(total.n) };
  }

  /** The API's keyset page in id order, over lists_owner_id_idx (owner_id, id; migration 030). */
  async listKeyset(
    actor: Actor,
    q: string,
    dir: "asc" | "desc",
    afterId: number | null,
    limit: number,
  ): Promise<{ items: ListRow[]; total: number }> {
    const search = <T extends ReturnType<ListsRepository["owned"]>>(qb: T) =>
      q === "" ? qb : (qb.where(sql`lower(lists.name)`, "like", sql`${likePattern(q)} escape '\\'`) as T);
    const [items, total] = await Promise.all([
      search(this.withCounts(actor))
        .$if(afterId !== null, (qb) => qb.where("lists.id", dir === "asc" ? ">" : "<", afterId!))
        .orderBy("lists.id", dir)
        .limit(limit + 1)
        .execute(),
      search(this.owned(actor))
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
    ]);
    return { items: items.map(numberCount), total: Number(total.n) };
  }

  /** Every list of the actor by name (for pickers; lists are few). */
  all(actor: Actor): Promise<Pick<List, "id" | "name">[]> {
    return this.owned(actor).select(["id", "name"]).orderBy(sql`lower(name)`).orderBy("id").execute();
  }

  async findById(actor: Actor, id: number): Promise<ListRow | undefined> {
    const row = await this.withCounts(actor).where("lists.id", "=", id).executeTakeFirst();
    return row ? numberCount(row) : undefined;
  }

  /** A list's public signup form (no owner: the visitor is not signed in). Over lists_slug_uq. */
  findBySlug(slug: string): Promise<List | undefined> {
    return this.db.selectFrom("lists").selectAll().where("slug", "=", slug).executeTakeFirst();
  }

  findAnyById(id: number): Promise<List | undefined> {
    return this.db.selectFrom("lists").selectAll().where("id", "=", id).executeTakeFirst();
  }

  insert(actor: Actor, list: ListWrite & { slug: string; created_at: string }): Promise<List> {
    return this.db
      .insertInto("lists")
      .values({ ...list, owner_id: actor.id })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(actor: Actor, id: number, changes: ListWrite): Promise<List | undefined> {
    return this.db
      .updateTable("lists")
      .set(changes)
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(actor: Actor, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom("lists")
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Adds recipients by id (the caller checked they are the list owner's); returns how many were new. */
  async addIds(listId: number, recipientIds: number[], now: string): Promise<number> {
    let added = 0;
    for (let i = 0; i < recipientIds.length; i += CHUNK) {
      const rows = recipientIds
        .slice(i, i + CHUNK)
        .map((recipient_id) => ({ list_id: listId, recipient_id, added_at: now }));
      const result = await this.db
        .insertInto("list_members")
        .values(rows)
        .onConflict((oc) => oc.columns(["list_id", "recipient_id"]).doNothing())
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  }

  /** Adds every recipient a subquery yields (one INSERT … SELECT); returns how many were new. */
  async addQuery(
    listId: number,
    // biome-ignore lint/suspicious/noExplicitAny: any FROM clause that selects recipients.id
    ids: SelectQueryBuilder<Tables, any, { id: number }>,
    now: string,
  ): Promise<number> {
    const result = await this.db
      .insertInto("list_members")
      .columns(["list_id", "recipient_id", "added_at"])
      .expression(
        ids
          .clearSelect()
          .select([
            sql.lit(listId).as("list_id"),
            "recipients.id as recipient_id",
            sql.val(now).as("added_at"),
          ])
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom("list_members as lm")
                  .select("lm.recipient_id")
                  .whereRef("lm.recipient_id", "=", "recipients.id")
                  .where("lm.list_id", "=", listId),
              ),
            ),
          ),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  async removeQuery(
    listId: number,
    // biome-ignore lint/suspicious/noExplicitAny: any FROM clause that selects recipients.id
    ids: SelectQueryBuilder<Tables, any, { id: number }>,
  ): Promise<number> {
    const result = await this.db
      .deleteFrom("list_members")
      .where("list_id", "=", listId)
      .where("recipient_id", "in", ids)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async removeIds(listId: number, recipientIds: number[]): Promise<number> {
    let removed = 0;
    for (let i = 0; i < recipientIds.length; i += CHUNK) {
      const result = await this.db
        .deleteFrom("list_members")
        .where("list_id", "=", listId)
        .where("recipient_id", "in", recipientIds.slice(i, i + CHUNK))
        .executeTakeFirst();
      removed += Number(result.numDeletedRows);
    }
    return removed;
  }

  /** The lists a recipient is in (the recipient page). Over list_members_recipient_idx. */
  listsOf(actor: Actor, recipientId: number): Promise<Pick<List, "id" | "name">[]> {
    return this.db
      .selectFrom("list_members")
      .innerJoin("lists", "lists.id", "list_members.list_id")
      .select(["lists.id", "lists.name"])
      .where("list_members.recipient_id", "=", recipientId)
      .where("lists.owner_id", "=", actor.id)
      .orderBy(sql`lower(lists.name)`)
      .execute();
  }

  /** How many mailings include or exclude the list (shown before deleting it). */
  async mailingsUsing(actor: Actor, listId: number): Promise<{ id: number; name: string }[]> {
    return this.db
      .selectFrom("mailing_audiences")
      .innerJoin("mailings", "mailings.id", "mailing_audiences.mailing_id")
      .select(["mailings.id", "mailings.name"])
      .distinct()
      .where("mailing_audiences.list_id", "=", listId)
      .where("mailings.owner_id", "=", actor.id)
      .orderBy("mailings.name")
      .execute();
  }
}

function numberCount<T extends { member_count: unknown }>(row: T): T & { member_count: number } {
  return { ...row, member_count: Number(row.member_count ?? 0) };
}
