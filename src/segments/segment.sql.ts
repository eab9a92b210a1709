/**
 * A segment's definition compiled to a Kysely expression over `recipients` (never SQL text built from
 * input: every value is a bound parameter). Custom field conditions use recipient_fields' indexes
 * (field_id, value_text | value_number, recipient_id) through `recipients.id in (…)`, so an indexed
 * condition is answered from the index instead of a scan of the owner's recipients.
 *
 * Meanings (the property tests check them against filtering in memory):
 * - text "is" ignores case; "contains" ignores case; "ends with domain" matches the domain and its
 *   subdomains (a@example.com and a@mail.example.com for example.com).
 * - a custom field "≠ v" is every recipient whose value is not v, including those without a value;
 *   "=", "<", ">" need a value (numbers compare as numbers, dates and text as text); a condition on a
 *   field that no longer exists matches nobody.
 * - "did not receive anything in the last N days": no delivery sent to them since now − N days.
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from "kysely";
import { parseFieldValue } from "../custom-fields/field-values.js";
import type { CustomFieldType, Tables } from "../db/schema.js";
import { likePattern } from "../shared/pagination.js";
import type { Condition, SegmentDefinition } from "./segments.schemas.js";

export type FieldMap = Map<string, { id: number; type: CustomFieldType }>;
export interface CompileContext {
  fields: FieldMap;
  now: Date;
}

type Eb = ExpressionBuilder<Tables, "recipients">;

/** The escaped LIKE pattern for "ends with": the escape of likePattern without its leading %. */
const endsWith = (suffix: string) => `%${likePattern(suffix).slice(1, -1)}`;

function textCondition(eb: Eb, c: Extract<Condition, { kind: "text" }>): Expression<SqlBool> {
  const column =
    c.column === "email"
      ? eb.ref("recipients.email_normalized")
      : sql`lower(${eb.ref(`recipients.${c.column}`)})`;
  const v = c.value.toLowerCase();
  switch (c.op) {
    case "contains":
      return eb(column, "like", sql<string>`${likePattern(v)} escape '\\'`);
    case "is":
      return eb(column, "=", v);
    case "ends_with_domain": {
      const domain = v.replace(/^@+/, "");
      return eb.or([
        eb(column, "like", sql<string>`${endsWith(`@${domain}`)} escape '\\'`),
        eb(column, "like", sql<string>`${endsWith(`.${domain}`)} escape '\\'`),
      ]);
    }
  }
}

function fieldCondition(
  eb: Eb,
  c: Extract<Condition, { kind: "field" }>,
  ctx: CompileContext,
): Expression<SqlBool> {
  const field = ctx.fields.get(c.key);
  if (!field) return sql<SqlBool>`1 = 0`;
  const having = (filter?: (rf: ExpressionBuilder<Tables, "recipient_fields">) => Expression<SqlBool>) =>
    eb(
      "recipients.id",
      "in",
      eb
        .selectFrom("recipient_fields")
        .select("recipient_fields.recipient_id")
        .where("recipient_fields.field_id", "=", field.id)
        .$if(filter !== undefined, (qb) => qb.where(filter!)),
    );
  if (c.op === "set") return having();
  const parsed = parseFieldValue(field.type, "Value", c.value);
  if (!parsed.ok || parsed.value === null) return sql<SqlBool>`1 = 0`;
  const stored = parsed.value;
  const compare = (op: "=" | "<" | ">") =>
    having((rf) =>
      field.type === "number"
        ? rf("recipient_fields.value_number", op, stored.number!)
        : rf("recipient_fields.value_text", op, stored.text),
    );
  switch (c.op) {
    case "eq":
      return compare("=");
    case "lt":
      return compare("<");
    case "gt":
      return compare(">");
    case "ne":
      return eb.not(compare("="));
  }
}

export function conditionWhere(eb: Eb, c: Condition, ctx: CompileContext): Expression<SqlBool> {
  switch (c.kind) {
    case "text":
      return textCondition(eb, c);
    case "list": {
      const member = eb.exists(
        eb
          .selectFrom("list_members")
          .select("list_members.recipient_id")
          .whereRef("list_members.recipient_id", "=", "recipients.id")
          .where("list_members.list_id", "=", c.list_id),
      );
      return c.op === "in" ? member : eb.not(member);
    }
    case "field":
      return fieldCondition(eb, c, ctx);
    case "received":
      // Over deliveries_recipient_idx, then the run's mailing.
      return eb.exists(
        eb
          .selectFrom("deliveries")
          .innerJoin("runs", "runs.id", "deliveries.run_id")
          .select("deliveries.id")
          .whereRef("deliveries.recipient_id", "=", "recipients.id")
          .where("deliveries.status", "=", "sent")
          .where("runs.mailing_id", "=", c.mailing_id),
      );
    case "bounced":
      return eb.exists(
        eb
          .selectFrom("deliveries")
          .select("deliveries.id")
          .whereRef("deliveries.recipient_id", "=", "recipients.id")
          .where("deliveries.bounced_at", "is not", null),
      );
    case "quiet": {
      const since = new Date(ctx.now.getTime() - c.days * 86_400_000).toISOString();
      return eb.not(
        eb.exists(
          eb
            .selectFrom("deliveries")
            .select("deliveries.id")
            .whereRef("deliveries.recipient_id", "=", "recipients.id")
            .where("deliveries.status", "=", "sent")
            .where("deliveries.sent_at", ">=", since),
        ),
      );
    }
  }
}

/** The whole definition: all or any of its conditions. */
export function segmentWhere(
  eb: Eb,
  definition: SegmentDefinition,
  ctx: CompileContext,
): Expression<SqlBool> {
  const parts = definition.conditions.map((c) => conditionWhere(eb, c, ctx));
  return definition.match === "all" ? eb.and(parts) : eb.or(parts);
}
