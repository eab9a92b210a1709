/** SQL for recipients. Every method takes the acting user: an owner filter cannot be forgotten. */
import { type ExpressionBuilder, type RawBuilder, sql } from "kysely";
import type { Executor } from "../db/database.js";
import { boundedCount, seekPage } from "../db/keyset.js";
import type { NewRecipient, Recipient, RecipientUpdate, Tables } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { likePattern, MATCH_CAP, type Seek, type SortKey, seekOf } from "../shared/pagination.js";
import { ownerFilter } from "../shared/scope.js";
import type { RecipientFilter, RecipientListQuery } from "./recipients.schemas.js";

/**
 * A search of the address or the name, any case, `%` and `_` taken literally. The address is matched through
 * its normalized (lower-case) copy, so only the name is lowered row by row.
 */
function searchMatches(q: string) {
  return (eb: ExpressionBuilder<Tables, "recipients">) =>
    eb.or([
      eb("recipients.email_normalized", "like", sql<string>`${likePattern(q)} escape '\\'`),
      eb(sql`lower(recipients.full_name)`, "like", sql`${likePattern(q)} escape '\\'`),
    ]);
}

/**
 * A first page with no page after it holds every match: its length is the count, and a search that finds
 * few rows (and so scans the whole base once) is not scanned a second time to count them.
 */
function shortFirstPage(
  seek: Seek,
  query: { page: number; limit: number },
  rows: number,
): { total: number; capped: boolean } | undefined {
  return seek.from === "start" && query.page <= 1 && rows <= query.limit
    ? { total: rows, capped: false }
    : undefined;
}

export class RecipientsRepository {
  constructor(private readonly db: Executor) {}

  private owned(actor: Actor) {
    return this.db.selectFrom("recipients").where("recipients.owner_id", "=", actor.id);
  }

  /** The actor's recipients matching a search and, when given, in a list (over list_members_pk). */
  private search(actor: Actor, filter: string | RecipientFilter) {
    const { q, list } = typeof filter === "string" ? { q: filter, list: undefined } : filter;
    return this.owned(actor)
      .$if(q !== "", (qb) => qb.where(searchMatches(q)))
      .$if(list !== undefined, (qb) =>
        qb.where(({ exists, selectFrom }) =>
          exists(
            selectFrom("list_members")
              .select("list_members.recipient_id")
              .whereRef("list_members.recipient_id", "=", "recipients.id")
              .where("list_members.list_id", "=", list!),
          ),
        ),
      );
  }

  /** The ids matching a filter, as a subquery for an INSERT … SELECT or a DELETE … IN (never loaded). */
  matchingIdsQuery(actor: Actor, filter: RecipientFilter) {
    return this.search(actor, filter).select("recipients.id");
  }

  /**
   * A page of recipients by keyset on (sort column, id) from the query's cursor (indexes
   * recipients_owner_created_id_idx, recipients_owner_email_uq, recipients_owner_name_id_idx of migration 023):
   * the actor's own, or for staff asking for all users everyone's (or one owner's) with the owner's email —
   * see ownerFilter. "N matching": the owner's counter when unfiltered, else a count bounded by MATCH_CAP.
   * The list filter applies to the actor's own rows only. A numbered `page` beyond the first (the JSON
   * API's) still reads by OFFSET.
   */
  async list(
    actor: Actor,
    query: RecipientListQuery,
  ): Promise<{ rows: (Recipient & { owner_email: string })[]; seek: Seek; total: number; capped: boolean }> {
    const owner = ownerFilter(actor, query);
    if (owner !== actor.id) return this.listAcross(owner, query);
    const seek = seekOf(query);
    const base = this.search(actor, query).selectAll("recipients").select(sql<string>`''`.as("owner_email"));
    const rows =
      seek.from === "start" && query.page > 1
        ? base
            .orderBy(sortExpr(query.sort), query.dir)
            .orderBy("recipients.id", query.dir)
            .limit(query.limit)
            .offset((query.page - 1) * query.limit)
            .execute()
        : seekPage(base, sortExpr(query.sort), "recipients.id", query.dir, seek, query.limit);
    const items = await rows;
    const matching =
      query.q === "" && query.list === undefined
        ? { total: await this.counted(actor), capped: false }
        : (shortFirstPage(seek, query, items.length) ??
          (await boundedCount(this.db, this.search(actor, query), MATCH_CAP)));
    return { rows: items, seek, ...matching };
  }

  /**
   * Every user's recipients (owner null) or one owner's, for staff: read-only rows with the owner's email,
   * by the same keyset, counted up to MATCH_CAP.
   */
  private async listAcross(
    owner: number | null,
    query: RecipientListQuery,
  ): Promise<{ rows: (Recipient & { owner_email: string })[]; seek: Seek; total: number; capped: boolean }> {
    const seek = seekOf(query);
    const filtered = this.db
      .selectFrom("recipients")
      .$if(owner !== null, (qb) => qb.where("recipients.owner_id", "=", owner!))
      .$if(query.q !== "", (qb) => qb.where(searchMatches(query.q)));
    const base = filtered
      .innerJoin("users", "users.id", "recipients.owner_id")
      .selectAll("recipients")
      .select("users.email as owner_email");
    const rows =
      seek.from === "start" && query.page > 1
        ? base
            .orderBy(sortExpr(query.sort), query.dir)
            .orderBy("recipients.id", query.dir)
            .limit(query.limit)
            .offset((query.page - 1) * query.limit)
            .execute()
        : seekPage(base, sortExpr(query.sort), "recipients.id", query.dir, seek, query.limit);
    const items = await rows;
    const matching =
      shortFirstPage(seek, query, items.length) ??
      (await boundedCount(this.db, filtered.select("recipients.id"), MATCH_CAP));
    return { rows: items, seek, ...matching };
  }

  /**
   * The API's keyset page: matching recipients after a row id in id order (recipients_pkey bounds it, with
   * the owner filter), limit + 1 rows so the caller knows whether another page follows.
   */
  listKeyset(actor: Actor, q: string, dir: "asc" | "desc", afterId: number | null, limit: number) {
    return this.search(actor, q)
      .selectAll()
      .$if(afterId !== null, (qb) => qb.where("id", dir === "asc" ? ">" : "<", afterId!))
      .orderBy("id", dir)
      .limit(limit + 1)
      .execute();
  }

  /** The owner's recipient count from the counters table (kept by triggers, src/db/counters.ts). */
  private async counted(actor: Actor): Promise<number> {
    const row = await this.db
      .selectFrom("counters")
      .select("value")
      .where("owner_id", "=", actor.id)
      .where("name", "=", "recipients")
      .executeTakeFirst();
    return Number(row?.value ?? 0);
  }

  async countMatching(actor: Actor, q: string | RecipientFilter): Promise<number> {
    const row = await this.search(actor, q)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Ids of the actor's recipients matching a search (for "select all matching"). */
  async idsMatching(actor: Actor, q: string | RecipientFilter): Promise<number[]> {
    const rows = await this.search(actor, q).select("id").execute();
    return rows.map((r) => r.id);
  }

  /** Of the given ids, those that belong to the actor. */
  async ownedIds(actor: Actor, ids: number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const found: number[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.owned(actor)
        .select("id")
        .where("id", "in", ids.slice(i, i + 500))
        .execute();
      for (const row of rows) found.push(row.id);
    }
    return found;
  }

  /** The next page of the actor's recipients by id (keyset paging: export reads them all, a page at a time). */
  listAfter(
    actor: Actor,
    afterId: number,
    limit: number,
    filter: RecipientFilter = { q: "" },
  ): Promise<Recipient[]> {
    return this.search(actor, filter)
      .selectAll()
      .where("recipients.id", ">", afterId)
      .orderBy("recipients.id")
      .limit(limit)
      .execute();
  }

  /** Deletes the actor's recipients matching a filter, or the given ids; returns how many. */
  async deleteMatching(actor: Actor, filter: RecipientFilter): Promise<number> {
    const result = await this.db
      .deleteFrom("recipients")
      .where("owner_id", "=", actor.id)
      .where("id", "in", this.matchingIdsQuery(actor, filter))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteIds(actor: Actor, ids: number[]): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const result = await this.db
        .deleteFrom("recipients")
        .where("owner_id", "=", actor.id)
        .where("id", "in", ids.slice(i, i + 500))
        .executeTakeFirst();
      deleted += Number(result.numDeletedRows);
    }
    return deleted;
  }

  byIds(actor: Actor, ids: number[]): Promise<Recipient[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.owned(actor).selectAll().where("id", "in", ids).orderBy("id").execute();
  }

  findById(actor: Actor, id: number): Promise<Recipient | undefined> {
    return this.owned(actor).selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Any user's recipient, for managers and admins reading it (RecipientsService.view). */
  findAnyById(id: number): Promise<Recipient | undefined> {
    return this.db.selectFrom("recipients").selectAll().where("id", "=", id).executeTakeFirst();
  }

  findByEmail(actor: Actor, emailNormalized: string): Promise<Recipient | undefined> {
    return this.owned(actor).selectAll().where("email_normalized", "=", emailNormalized).executeTakeFirst();
  }

  /** The actor's recipients with any of these normalized emails (one query; callers chunk the list). */
  findByEmails(actor: Actor, emailsNormalized: readonly string[]): Promise<Recipient[]> {
    if (emailsNormalized.length === 0) return Promise.resolve([]);
    return this.owned(actor)
      .selectAll()
      .where("email_normalized", "in", [...emailsNormalized])
      .execute();
  }

  /**
   * Resolves addresses to the actor's recipient ids: one query per 500 addresses over
   * recipients_owner_email_uq (owner_id, email_normalized), never one per address. Addresses are kept as
   * given in `missing`, in order; one that names a recipient twice counts once.
   */
  async idsByEmails(
    actor: Actor,
    emails: readonly string[],
    normalize: (email: string) => string,
  ): Promise<{ ids: number[]; missing: string[] }> {
    const byNormalized = new Map<string, number>();
    const normalized = emails.map(normalize);
    const unique = [...new Set(normalized)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.owned(actor)
        .select(["id", "email_normalized"])
        .where("email_normalized", "in", unique.slice(i, i + 500))
        .execute();
      for (const row of rows) byNormalized.set(row.email_normalized, row.id);
    }
    const ids = new Set<number>();
    const missing: string[] = [];
    normalized.forEach((n, i) => {
      const id = byNormalized.get(n);
      if (id === undefined) missing.push(emails[i]!);
      else ids.add(id);
    });
    return { ids: [...ids], missing };
  }

  /**
   * One multi-row INSERT that skips emails the actor already has (ON CONFLICT on recipients_owner_email_uq
   * (owner_id, email_normalized) DO NOTHING: a concurrent call created them); returns the rows it inserted.
   */
  insertManyNew(
    actor: Actor,
    recipients: readonly Omit<NewRecipient, "owner_id">[],
  ): Promise<{ id: number; email_normalized: string }[]> {
    if (recipients.length === 0) return Promise.resolve([]);
    return this.db
      .insertInto("recipients")
      .values(recipients.map((recipient) => ({ ...recipient, owner_id: actor.id })))
      .onConflict((oc) => oc.columns(["owner_id", "email_normalized"]).doNothing())
      .returning(["id", "email_normalized"])
      .execute();
  }

  insert(actor: Actor, recipient: Omit<NewRecipient, "owner_id">): Promise<Recipient> {
    return this.db
      .insertInto("recipients")
      .values({ ...recipient, owner_id: actor.id })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(
    actor: Actor,
    id: number,
    changes: Omit<RecipientUpdate, "owner_id" | "id">,
  ): Promise<Recipient | undefined> {
    return this.db
      .updateTable("recipients")
      .set(changes)
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(actor: Actor, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom("recipients")
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * The actor's mailings that include a recipient: picked individually, or through "everyone" or one of
   * its lists (segments are not evaluated here: they are resolved at each run).
   */
  mailingsOf(actor: Actor, recipientId: number): Promise<{ id: number; name: string }[]> {
    return this.db
      .selectFrom("mailings")
      .select(["mailings.id", "mailings.name"])
      .where("mailings.owner_id", "=", actor.id)
      .where((eb) =>
        eb.or([
          eb.exists(
            eb
              .selectFrom("mailing_recipients")
              .select("mailing_recipients.recipient_id")
              .whereRef("mailing_recipients.mailing_id", "=", "mailings.id")
              .where("mailing_recipients.recipient_id", "=", recipientId),
          ),
          eb.exists(
            eb
              .selectFrom("mailing_audiences")
              .select("mailing_audiences.id")
              .whereRef("mailing_audiences.mailing_id", "=", "mailings.id")
              .where("mailing_audiences.mode", "=", "include")
              .where((a) =>
                a.or([
                  a("mailing_audiences.kind", "=", "all"),
                  a(
                    "mailing_audiences.list_id",
                    "in",
                    a
                      .selectFrom("list_members")
                      .select("list_members.list_id")
                      .where("list_members.recipient_id", "=", recipientId),
                  ),
                ]),
              ),
          ),
        ]),
      )
      .orderBy("mailings.name")
      .execute();
  }
}

/** The expression a list sort orders by; its index is named in `list`. */
function sortExpr(sort: RecipientListQuery["sort"]): RawBuilder<unknown> {
  if (sort === "full_name") return sql`lower(recipients.full_name)`;
  return sql.ref(sort === "email" ? "recipients.email_normalized" : "recipients.created_at");
}

/** The sort key of a row, for its cursor. */
export function recipientKey(sort: RecipientListQuery["sort"]): (r: Recipient) => SortKey {
  if (sort === "full_name") return (r) => [r.full_name.toLowerCase(), r.id];
  return (r) => [sort === "email" ? r.email_normalized : r.created_at, r.id];
}
