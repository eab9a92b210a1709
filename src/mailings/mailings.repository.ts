/** SQL for mailings and their recipients. Every method takes the acting user. */
import { type ExpressionBuilder, type RawBuilder, sql } from "kysely";
import { AudienceRepository, isEveryone } from "../audiences/audience.repository.js";
import type { Executor } from "../db/database.js";
import { boundedCount, seekPage } from "../db/keyset.js";
import type { Mailing, MailingUpdate, NewMailing, Recipient, Tables } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { likePattern, MATCH_CAP, PAGE_SIZE, type Seek, type SortKey, seekOf } from "../shared/pagination.js";
import { ownerFilter } from "../shared/scope.js";
import type { MailingListQuery, MemberQuery } from "./mailings.schemas.js";

export type MailingRow = Mailing & {
  message_subject: string;
  recipient_count: number;
  /** Set on lists of mailings when a live audience has more than MATCH_CAP: recipient_count is the cap. */
  recipient_count_capped?: boolean;
};
export type MemberRow = Pick<Recipient, "id" | "email" | "full_name"> & { member: boolean };

const MEMBER_CHUNK = 500;

export class MailingsRepository {
  constructor(private readonly db: Executor) {}

  /**
   * The mailing's sending runs' deliveries held back (never tried, due later: a closed sending window, a
   * pause) become due now, so a changed window applies at once; the worker holds again what must still wait.
   */
  async bringHeldForward(mailingId: number, now: string): Promise<void> {
    await this.db
      .updateTable("deliveries")
      .set({ next_attempt_at: now, updated_at: now })
      .where("run_id", "in", (eb) =>
        eb
          .selectFrom("runs")
          .select("id")
          .where("mailing_id", "=", mailingId)
          .where("status", "=", "sending")
          // A run still being prepared holds its deliveries until they are released (delivery/preparation.store.ts).
          .where("preparing", "is", null),
      )
      .where("status", "=", "pending")
      .where("tries", "=", 0)
      .where("next_attempt_at", ">", now)
      .execute();
  }

  private withDetails(actor: Actor) {
    return this.db
      .selectFrom("mailings")
      .innerJoin("messages", "messages.id", "mailings.message_id")
      .where("mailings.owner_id", "=", actor.id)
      .selectAll("mailings")
      .select("messages.subject as message_subject")
      .select(pickedCount);
  }

  /**
   * A page of mailings with their owner's email (the actor's own, or for staff asking for all users
   * everyone's or one owner's — see ownerFilter) by keyset on (sort column, id) from the query's cursor
   * (mailings_owner_idx narrows to the owner), with "N matching": the mailings counter (owner 0 for all
   * users) when unfiltered, else a count bounded by MATCH_CAP. A numbered `page` beyond the first (the
   * API's) uses OFFSET.
   */
  async list(
    actor: Actor,
    query: MailingListQuery,
  ): Promise<{ rows: (MailingRow & { owner_email: string })[]; seek: Seek; total: number; capped: boolean }> {
    const owner = ownerFilter(actor, query);
    const seek = seekOf(query);
    const filtered = this.withOwner()
      .$if(owner !== null, (qb) => qb.where("mailings.owner_id", "=", owner!))
      .$if(query.q !== "", (qb) => qb.where(mailingFilter(query.q)));
    const order = mailingSortExpr(query.sort);
    const rows =
      seek.from === "start" && query.page > 1
        ? filtered
            .orderBy(order, query.dir)
            .orderBy("mailings.id", query.dir)
            .limit(query.limit)
            .offset((query.page - 1) * query.limit)
            .execute()
        : seekPage(filtered, order, "mailings.id", query.dir, seek, query.limit);
    const [items, matching] = await Promise.all([
      rows,
      query.q === ""
        ? this.db
            .selectFrom("counters")
            .select("value")
            .where("owner_id", "=", owner ?? 0)
            .where("name", "=", "mailings")
            .executeTakeFirst()
            .then((row) => ({ total: Number(row?.value ?? 0), capped: false }))
        : boundedCount(
            this.db,
            this.db
              .selectFrom("mailings")
              .innerJoin("messages", "messages.id", "mailings.message_id")
              .$if(owner !== null, (qb) => qb.where("mailings.owner_id", "=", owner!))
              .where(mailingFilter(query.q)),
            MATCH_CAP,
          ),
    ]);
    return { rows: await this.estimated(items.map(numberCounts)), seek, ...matching };
  }

  /**
   * The API's keyset page: the actor's mailings matching a search after a row id in id order (mailings_pkey
   * with the owner filter), limit + 1 rows so the caller knows whether another page follows.
   */
  async listKeyset(
    actor: Actor,
    q: string,
    dir: "asc" | "desc",
    afterId: number | null,
    limit: number,
  ): Promise<MailingRow[]> {
    const items = await this.withDetails(actor)
      .$if(q !== "", (qb) =>
        qb.where(
          sql<boolean>`(lower(mailings.name) like ${likePattern(q)} escape '\\' or lower(messages.subject) like ${likePattern(q)} escape '\\')`,
        ),
      )
      .$if(afterId !== null, (qb) => qb.where("mailings.id", dir === "asc" ? ">" : "<", afterId!))
      .orderBy("mailings.id", dir)
      .limit(limit + 1)
      .execute();
    return this.estimated(items.map(numberCounts));
  }

  async countMatching(actor: Actor, q: string): Promise<number> {
    const row = await this.db
      .selectFrom("mailings")
      .innerJoin("messages", "messages.id", "mailings.message_id")
      .where("mailings.owner_id", "=", actor.id)
      .$if(q !== "", (qb) =>
        qb.where(
          sql<boolean>`(lower(mailings.name) like ${likePattern(q)} escape '\\' or lower(messages.subject) like ${likePattern(q)} escape '\\')`,
        ),
      )
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Every user's mailings with their owner's email (no owner filter): only for staff and the operator. */
  private withOwner() {
    return this.db
      .selectFrom("mailings")
      .innerJoin("messages", "messages.id", "mailings.message_id")
      .innerJoin("users", "users.id", "mailings.owner_id")
      .selectAll("mailings")
      .select(["messages.subject as message_subject", "users.email as owner_email"])
      .select(pickedCount);
  }

  /** For the operator's command line (`postpilot mailings`). */
  async listForOperator(ownerEmail: string | null): Promise<(MailingRow & { owner_email: string })[]> {
    const rows = await this.withOwner()
      .$if(ownerEmail !== null, (qb) => qb.where("users.email_normalized", "=", ownerEmail!))
      .orderBy("mailings.id")
      .execute();
    return this.estimated(rows.map(numberCounts));
  }

  /**
   * Everyone's newest mailings with their owners' emails (the home page under "All users"). Newest by id,
   * which rises with creation: the primary key walks backwards and stops at `limit`, no sort of the table.
   */
  async latestOfAll(limit: number): Promise<(MailingRow & { owner_email: string })[]> {
    const rows = await this.withOwner().orderBy("mailings.id", "desc").limit(limit).execute();
    return this.estimated(rows.map(numberCounts));
  }

  async latest(actor: Actor, limit: number): Promise<MailingRow[]> {
    const rows = await this.withDetails(actor)
      .orderBy("mailings.created_at", "desc")
      .orderBy("mailings.id", "desc")
      .limit(limit)
      .execute();
    return this.estimated(rows.map(numberCounts));
  }

  /** Any user's mailing with its owner's email: for managers' and admins' read-only view. */
  async findAnyById(id: number): Promise<(MailingRow & { owner_email: string }) | undefined> {
    const row = await this.withOwner().where("mailings.id", "=", id).executeTakeFirst();
    return row ? (await this.estimated([await this.exactPicked(numberCounts(row))], true))[0] : undefined;
  }

  async findById(actor: Actor, id: number): Promise<MailingRow | undefined> {
    const row = await this.withDetails(actor).where("mailings.id", "=", id).executeTakeFirst();
    return row ? (await this.estimated([await this.exactPicked(numberCounts(row))], true))[0] : undefined;
  }

  /** One mailing's page counts its picks exactly (lists of mailings stop at MATCH_CAP). */
  private async exactPicked<T extends MailingRow>(row: T): Promise<T> {
    if (!row.recipient_count_capped) return row;
    const { n } = await this.db
      .selectFrom("mailing_recipients")
      .where("mailing_id", "=", row.id)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return { ...row, recipient_count: Number(n), recipient_count_capped: undefined };
  }

  /**
   * recipient_count is the individually picked recipients' count, unless the mailing has a live audience
   * (everyone, lists, segments, exclusions): then it is how many that audience has now ("about N now"),
   * counted with run creation's own expression. "All my recipients" with no exclusion is the owner's
   * `recipients` counter (one primary-key read, exact). Other audiences are counted in full only when `exact`
   * (one mailing's page); lists of mailings bound the count at MATCH_CAP (recipient_count_capped: "10,000+"),
   * so the home page and the mailings list never count a large base in full.
   */
  private async estimated<T extends MailingRow>(rows: T[], exact = false): Promise<T[]> {
    const audiences = new AudienceRepository(this.db);
    const live = await audiences.liveRules(rows.map((r) => r.id));
    if (live.size === 0) return rows;
    const everyoneOwners = [
      ...new Set(rows.filter((r) => isEveryone(live.get(r.id) ?? [])).map((r) => r.owner_id)),
    ];
    const counters =
      everyoneOwners.length === 0
        ? []
        : await this.db
            .selectFrom("counters")
            .select(["owner_id", "value"])
            .where("owner_id", "in", everyoneOwners)
            .where("name", "=", "recipients")
            .execute();
    const recipientsOf = new Map(counters.map((c) => [c.owner_id, Number(c.value)]));
    const now = new Date();
    return Promise.all(
      rows.map(async (r): Promise<T> => {
        const rules = live.get(r.id);
        if (!rules) return r;
        if (isEveryone(rules)) return { ...r, recipient_count: recipientsOf.get(r.owner_id) ?? 0 };
        if (exact) return { ...r, recipient_count: (await audiences.count(r.id, r.owner_id, now)).total };
        const { total, capped } = await audiences.boundedTotal(r.id, r.owner_id, now, MATCH_CAP);
        return { ...r, recipient_count: total, recipient_count_capped: capped };
      }),
    );
  }

  /** The bare row (no counts): for checks that the mailing is the actor's. */
  findOwned(actor: Actor, id: number): Promise<Pick<Mailing, "id" | "name" | "owner_id"> | undefined> {
    return this.db
      .selectFrom("mailings")
      .select(["id", "name", "owner_id"])
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .executeTakeFirst();
  }

  /**
   * The API's keyset page of a mailing's picked recipients in recipient id order, walking
   * mailing_recipients_pk (mailing_id, recipient_id); `owner` is the mailing's owner.
   */
  async pickedKeyset(
    owner: Actor,
    mailingId: number,
    q: string,
    dir: "asc" | "desc",
    afterId: number | null,
    limit: number,
  ): Promise<{ items: Pick<Recipient, "id" | "email" | "full_name">[]; total: number }> {
    const base = this.searchRecipients(owner, q)
      .innerJoin("mailing_recipients as mr", "mr.recipient_id", "recipients.id")
      .where("mr.mailing_id", "=", mailingId);
    const [items, total] = await Promise.all([
      base
        .select(["recipients.id", "recipients.email", "recipients.full_name"])
        .$if(afterId !== null, (qb) => qb.where("mr.recipient_id", dir === "asc" ? ">" : "<", afterId!))
        .orderBy("mr.recipient_id", dir)
        .limit(limit + 1)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }

  /** How many recipients are individually picked (over mailing_recipients_pk). */
  async pickedCount(mailingId: number): Promise<number> {
    const row = await this.db
      .selectFrom("mailing_recipients")
      .where("mailing_id", "=", mailingId)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  insert(actor: Actor, mailing: Omit<NewMailing, "owner_id">): Promise<Mailing> {
    return this.db
      .insertInto("mailings")
      .values({ ...mailing, owner_id: actor.id })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(
    actor: Actor,
    id: number,
    changes: Omit<MailingUpdate, "owner_id" | "id">,
  ): Promise<Mailing | undefined> {
    return this.db
      .updateTable("mailings")
      .set(changes)
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(actor: Actor, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom("mailings")
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Adds the actor's recipients matching a search (all when q is empty) in one INSERT … SELECT. */
  async addMatching(actor: Actor, mailingId: number, q: string): Promise<void> {
    await this.db
      .insertInto("mailing_recipients")
      .columns(["mailing_id", "recipient_id"])
      .expression(
        this.searchRecipients(actor, q)
          .select([sql<number>`${mailingId}`.as("mailing_id"), "recipients.id as recipient_id"])
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom("mailing_recipients as mr")
                  .select("mr.recipient_id")
                  .whereRef("mr.recipient_id", "=", "recipients.id")
                  .where("mr.mailing_id", "=", mailingId),
              ),
            ),
          ),
      )
      .execute();
  }

  async removeMatching(actor: Actor, mailingId: number, q: string): Promise<void> {
    await this.db
      .deleteFrom("mailing_recipients")
      .where("mailing_id", "=", mailingId)
      .where("recipient_id", "in", this.searchRecipients(actor, q).select("recipients.id"))
      .execute();
  }

  /** Adds recipients by id; the caller has checked that they belong to the actor. */
  async addIds(mailingId: number, recipientIds: number[]): Promise<void> {
    for (let i = 0; i < recipientIds.length; i += MEMBER_CHUNK) {
      const rows = recipientIds
        .slice(i, i + MEMBER_CHUNK)
        .map((recipient_id) => ({ mailing_id: mailingId, recipient_id }));
      await this.db
        .insertInto("mailing_recipients")
        .values(rows)
        .onConflict((oc) => oc.columns(["mailing_id", "recipient_id"]).doNothing())
        .execute();
    }
  }

  /** Of the given recipient ids, those individually picked for the mailing. */
  async pickedAmong(mailingId: number, recipientIds: number[]): Promise<number[]> {
    const found: number[] = [];
    for (let i = 0; i < recipientIds.length; i += MEMBER_CHUNK) {
      const rows = await this.db
        .selectFrom("mailing_recipients")
        .select("recipient_id")
        .where("mailing_id", "=", mailingId)
        .where("recipient_id", "in", recipientIds.slice(i, i + MEMBER_CHUNK))
        .execute();
      for (const row of rows) found.push(row.recipient_id);
    }
    return found;
  }

  async removeIds(mailingId: number, recipientIds: number[]): Promise<void> {
    for (let i = 0; i < recipientIds.length; i += MEMBER_CHUNK) {
      await this.db
        .deleteFrom("mailing_recipients")
        .where("mailing_id", "=", mailingId)
        .where("recipient_id", "in", recipientIds.slice(i, i + MEMBER_CHUNK))
        .execute();
    }
  }

  private searchRecipients(actor: Actor, q: string) {
    return this.db
      .selectFrom("recipients")
      .where("recipients.owner_id", "=", actor.id)
      .$if(q !== "", (qb) =>
        qb.where(
          sql<boolean>`(recipients.email_normalized like ${likePattern(q)} escape '\\' or lower(recipients.full_name) like ${likePattern(q)} escape '\\')`,
        ),
      );
  }

  /** A page of the actor's recipients with whether each is in the mailing. */
  async members(
    actor: Actor,
    mailingId: number,
    query: MemberQuery,
  ): Promise<{ items: MemberRow[]; total: number }> {
    const inMailing = (qb: ReturnType<MailingsRepository["searchRecipients"]>) =>
      qb.where(({ exists, not, selectFrom }) => {
        const member = exists(
          selectFrom("mailing_recipients as mr")
            .select("mr.recipient_id")
            .whereRef("mr.recipient_id", "=", "recipients.id")
            .where("mr.mailing_id", "=", mailingId),
        );
        return query.show === "in" ? member : not(member);
      });
    const base = this.searchRecipients(actor, query.q).$if(query.show !== "all", inMailing);
    const [rows, total] = await Promise.all([
      base
        .select(["recipients.id", "recipients.email", "recipients.full_name"])
        .select((eb) =>
          eb
            .exists(
              eb
                .selectFrom("mailing_recipients as mr")
                .select("mr.recipient_id")
                .whereRef("mr.recipient_id", "=", "recipients.id")
                .where("mr.mailing_id", "=", mailingId),
            )
            .as("member"),
        )
        .orderBy("recipients.email_normalized")
        .limit(PAGE_SIZE)
        .offset((query.page - 1) * PAGE_SIZE)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map((r) => ({ ...r, member: Boolean(r.member) })), total: Number(total.n) };
  }
}

/**
 * How many recipients the mailing picked individually, reading at most MATCH_CAP + 1 of its
 * mailing_recipients_pk entries: a list of mailings never counts a million picks per row.
 */
function pickedCount(eb: ExpressionBuilder<Tables, "mailings">) {
  return eb
    .selectFrom(
      eb
        .selectFrom("mailing_recipients")
        .whereRef("mailing_recipients.mailing_id", "=", "mailings.id")
        .select(sql`1`.as("one"))
        .limit(MATCH_CAP + 1)
        .as("picked"),
    )
    .select((e) => e.fn.countAll<number>().as("n"))
    .as("recipient_count");
}

/** The picked count as a number: past MATCH_CAP it is the cap, flagged ("10,000+"). */
function numberCounts<T extends { recipient_count: unknown }>(
  row: T,
): T & { recipient_count: number; recipient_count_capped?: boolean } {
  const n = Number(row.recipient_count ?? 0);
  return n > MATCH_CAP
    ? { ...row, recipient_count: MATCH_CAP, recipient_count_capped: true }
    : { ...row, recipient_count: n };
}

const mailingFilter = (q: string) =>
  sql<boolean>`(lower(mailings.name) like ${likePattern(q)} escape '\\' or lower(messages.subject) like ${likePattern(q)} escape '\\')`;

function mailingSortExpr(sort: MailingListQuery["sort"]): RawBuilder<unknown> {
  return sort === "name" ? sql`lower(mailings.name)` : sql.ref(`mailings.${sort}`);
}

/** The sort key of a mailing row, for its cursor. */
export function mailingKey(sort: MailingListQuery["sort"]): (m: MailingRow) => SortKey {
  if (sort === "name") return (m) => [m.name.toLowerCase(), m.id];
  return (m) => [m[sort], m.id];
}
