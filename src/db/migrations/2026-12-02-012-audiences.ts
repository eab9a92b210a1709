/**
 * Audiences: an owner's lists (and a recipient's memberships), custom fields with their values in a typed
 * side table, saved segments, a mailing's live audience (what it includes and excludes besides the
 * individually picked recipients of mailing_recipients), and signup forms' pending and confirmed
 * subscriptions (the consent record: when and from which IP).
 *
 * Existing mailings keep their mailing_recipients rows, which now mean "individually picked", and get no
 * audience rows: what they send does not change.
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export function audiences(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  const real = dialect === "postgres" ? "double precision" : "real";
  const ts = "text"; // ISO-8601 UTC strings in both dialects
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      // biome-ignore lint/suspicious/noExplicitAny: the column builder of either dialect
      const pk = (c: any) => (dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement());

      await db.schema
        .createTable("lists")
        .addColumn("id", id, pk)
        .addColumn("owner_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("name_normalized", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
        // The public signup form's address, /subscribe/<slug>: unique across all owners.
        .addColumn("slug", "text", (c) => c.notNull())
        .addColumn("signup_enabled", "integer", (c) => c.notNull().defaultTo(0))
        /** JSON array of the custom field keys the form asks for (email always, name optional). */
        .addColumn("signup_fields", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("signup_ask_name", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("signup_redirect_url", "text")
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("lists_owner_name_uq")
        .on("lists")
        .columns(["owner_id", "name_normalized"])
        .unique()
        .execute();
      await db.schema.createIndex("lists_slug_uq").on("lists").column("slug").unique().execute();

      await db.schema
        .createTable("list_members")
        .addColumn("list_id", "integer", (c) => c.notNull().references("lists.id").onDelete("cascade"))
        .addColumn("recipient_id", "integer", (c) =>
          c.notNull().references("recipients.id").onDelete("cascade"),
        )
        .addColumn("added_at", ts, (c) => c.notNull())
        .addPrimaryKeyConstraint("list_members_pk", ["list_id", "recipient_id"])
        .execute();
      await db.schema
        .createIndex("list_members_recipient_idx")
        .on("list_members")
        .columns(["recipient_id", "list_id"])
        .execute();

      await db.schema
        .createTable("custom_fields")
        .addColumn("id", id, pk)
        .addColumn("owner_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("label", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("created_at", ts, (c) => c.notNull())
        .addCheckConstraint("custom_fields_type_check", sql`type in ('text', 'number', 'date', 'yes_no')`)
        .execute();
      await db.schema
        .createIndex("custom_fields_owner_key_uq")
        .on("custom_fields")
        .columns(["owner_id", "key"])
        .unique()
        .execute();

      // One row per (recipient, field) that has a value. value_text is the canonical text (dates as
      // YYYY-MM-DD, yes/no as 'yes' / 'no'); value_number is set for numbers. One pair of indexes serves
      // every field of every owner, on both databases, with no DDL when a user adds a field.
      await db.schema
        .createTable("recipient_fields")
        .addColumn("recipient_id", "integer", (c) =>
          c.notNull().references("recipients.id").onDelete("cascade"),
        )
        .addColumn("field_id", "integer", (c) =>
          c.notNull().references("custom_fields.id").onDelete("cascade"),
        )
        .addColumn("value_text", "text", (c) => c.notNull())
        .addColumn("value_number", real)
        .addPrimaryKeyConstraint("recipient_fields_pk", ["recipient_id", "field_id"])
        .execute();
      await db.schema
        .createIndex("recipient_fields_text_idx")
        .on("recipient_fields")
        .columns(["field_id", "value_text", "recipient_id"])
        .execute();
      await db.schema
        .createIndex("recipient_fields_number_idx")
        .on("recipient_fields")
        .columns(["field_id", "value_number", "recipient_id"])
        .execute();

      await db.schema
        .createTable("segments")
        .addColumn("id", id, pk)
        .addColumn("owner_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("name_normalized", "text", (c) => c.notNull())
        /** JSON SegmentDefinition (see segments/segments.schemas.ts). */
        .addColumn("definition", "text", (c) => c.notNull())
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("segments_owner_name_uq")
        .on("segments")
        .columns(["owner_id", "name_normalized"])
        .unique()
        .execute();

      // A mailing's live audience besides its individually picked recipients (mailing_recipients):
      // everyone, lists and segments to include, lists and segments to exclude.
      await db.schema
        .createTable("mailing_audiences")
        .addColumn("id", id, pk)
        .addColumn("mailing_id", "integer", (c) => c.notNull().references("mailings.id").onDelete("cascade"))
        .addColumn("mode", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("list_id", "integer", (c) => c.references("lists.id").onDelete("cascade"))
        .addColumn("segment_id", "integer", (c) => c.references("segments.id").onDelete("cascade"))
        .addCheckConstraint("mailing_audiences_mode_check", sql`mode in ('include', 'exclude')`)
        .addCheckConstraint(
          "mailing_audiences_kind_check",
          sql`(kind = 'all' and mode = 'include' and list_id is null and segment_id is null)
            or (kind = 'list' and list_id is not null and segment_id is null)
            or (kind = 'segment' and segment_id is not null and list_id is null)`,
        )
        .execute();
      await db.schema
        .createIndex("mailing_audiences_mailing_idx")
        .on("mailing_audiences")
        .column("mailing_id")
        .execute();
      await db.schema
        .createIndex("mailing_audiences_list_idx")
        .on("mailing_audiences")
        .column("list_id")
        .execute();
      await db.schema
        .createIndex("mailing_audiences_segment_idx")
        .on("mailing_audiences")
        .column("segment_id")
        .execute();

      // A signup through a list's form. Until confirmed it is not a recipient (never mailed); confirming
      // creates or finds the recipient and adds it to the list. The row is the consent record.
      await db.schema
        .createTable("signups")
        .addColumn("id", id, pk)
        .addColumn("list_id", "integer", (c) => c.notNull().references("lists.id").onDelete("cascade"))
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("email_normalized", "text", (c) => c.notNull())
        .addColumn("full_name", "text", (c) => c.notNull().defaultTo(""))
        /** JSON { key: canonical text } of the custom fields the form asked for. */
        .addColumn("fields", "text", (c) => c.notNull().defaultTo("{}"))
        .addColumn("token_hash", "text", (c) => c.notNull())
        .addColumn("ip", "text", (c) => c.notNull())
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("expires_at", ts, (c) => c.notNull())
        .addColumn("confirmed_at", ts)
        .addColumn("confirm_ip", "text")
        .addColumn("recipient_id", "integer", (c) => c.references("recipients.id").onDelete("set null"))
        .execute();
      await db.schema.createIndex("signups_token_uq").on("signups").column("token_hash").unique().execute();
      await db.schema
        .createIndex("signups_list_email_idx")
        .on("signups")
        .columns(["list_id", "email_normalized"])
        .execute();
      await db.schema.createIndex("signups_ip_idx").on("signups").columns(["ip", "created_at"]).execute();

      // Consent proof for unsubscribing too: from which IP (null where unknown, e.g. mailto).
      await db.schema.alterTable("unsubscribes").addColumn("ip", "text").execute();
    },
  };
}
