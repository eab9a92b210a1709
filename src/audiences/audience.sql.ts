/**
 * Who a mailing's audience is, as one Kysely expression over `recipients`: the owner's recipients that are
 * included (everyone, a list, a segment, or individually picked) and not excluded (a list, a segment).
 * Run creation (delivery/runs.store.ts) puts it in its INSERT … SELECT, inside its transaction, so the
 * audience is resolved when each run is created; the mailing page counts the same expression.
 * Unconfirmed signups are not recipients (signup/), so they can never be in it.
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { MailingAudience, Tables } from "../db/schema.js";
import { type CompileContext, type FieldMap, segmentWhere } from "../segments/segment.sql.js";
import { definitionSchema, type SegmentDefinition } from "../segments/segments.schemas.js";

export interface LoadedAudience {
  mailingId: number;
  ownerId: number;
  rules: Pick<MailingAudience, "mode" | "kind" | "list_id" | "segment_id">[];
  segments: Map<number, SegmentDefinition>;
  fields: FieldMap;
}

/** Reads what the expression needs: the mailing's rules, its segments' definitions, the owner's fields. */
export async function loadAudience(
  db: Executor,
  mailingId: number,
  ownerId: number,
): Promise<LoadedAudience> {
  const rules = await db
    .selectFrom("mailing_audiences")
    .select(["mode", "kind", "list_id", "segment_id"])
    .where("mailing_id", "=", mailingId)
    .orderBy("id")
    .execute();
  const segmentIds = rules.flatMap((r) => (r.segment_id === null ? [] : [r.segment_id]));
  const segments = new Map<number, SegmentDefinition>();
  const fields: FieldMap = new Map();
  if (segmentIds.length > 0) {
    const rows = await db
      .selectFrom("segments")
      .select(["id", "definition"])
      .where("owner_id", "=", ownerId)
      .where("id", "in", segmentIds)
      .execute();
    for (const row of rows) {
      const parsed = definitionSchema.safeParse(JSON.parse(row.definition));
      if (parsed.success) segments.set(row.id, parsed.data);
    }
    await loadFields(db, ownerId, fields);
  }
  return { mailingId, ownerId, rules, segments, fields };
}

export async function loadFields(
  db: Executor,
  ownerId: number,
  into: FieldMap = new Map(),
): Promise<FieldMap> {
  const rows = await db
    .selectFrom("custom_fields")
    .select(["id", "key", "type"])
    .where("owner_id", "=", ownerId)
    .execute();
  for (const f of rows) into.set(f.key, { id: f.id, type: f.type });
  return into;
}

type Eb = ExpressionBuilder<Tables, "recipients">;

/** The audience as a WHERE over `recipients` (the owner filter included). */
export function audienceWhere(audience: LoadedAudience, now: Date) {
  const ctx: CompileContext = { fields: audience.fields, now };
  return (eb: Eb): Expression<SqlBool> => {
    const part = (r: LoadedAudience["rules"][number]): Expression<SqlBool> => {
      if (r.kind === "all") return sql<SqlBool>`1 = 1`;
      if (r.kind === "list") {
        return eb.exists(
          eb
            .selectFrom("list_members")
            .select("list_members.recipient_id")
            .whereRef("list_members.recipient_id", "=", "recipients.id")
            .where("list_members.list_id", "=", r.list_id!),
        );
      }
      const definition = audience.segments.get(r.segment_id!);
      // A segment that is gone or unreadable includes nobody, and excludes nobody.
      return definition ? segmentWhere(eb, definition, ctx) : sql<SqlBool>`1 = 0`;
    };
    const picked = eb.exists(
      eb
        .selectFrom("mailing_recipients")
        .select("mailing_recipients.recipient_id")
        .whereRef("mailing_recipients.recipient_id", "=", "recipients.id")
        .where("mailing_recipients.mailing_id", "=", audience.mailingId),
    );
    const includes = audience.rules.filter((r) => r.mode === "include");
    const excludes = audience.rules.filter((r) => r.mode === "exclude");
    const included = includes.some((r) => r.kind === "all")
      ? sql<SqlBool>`1 = 1`
      : eb.or([picked, ...includes.map(part)]);
    const where = [eb("recipients.owner_id", "=", audience.ownerId), included];
    if (excludes.length > 0) where.push(eb.not(eb.or(excludes.map(part))));
    return eb.and(where);
  };
}

/** True when a mailing may have anyone to send to (picked recipients or an include rule): for due checks. */
export function hasAudience(eb: ExpressionBuilder<Tables, "mailings">): Expression<SqlBool> {
  return eb.or([
    eb.exists(
      eb
        .selectFrom("mailing_recipients")
        .select("mailing_recipients.recipient_id")
        .whereRef("mailing_recipients.mailing_id", "=", "mailings.id"),
    ),
    eb.exists(
      eb
        .selectFrom("mailing_audiences")
        .select("mailing_audiences.id")
        .whereRef("mailing_audiences.mailing_id", "=", "mailings.id")
        .where("mailing_audiences.mode", "=", "include"),
    ),
  ]);
}
