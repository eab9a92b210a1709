/**
 * Bounces and complaints on the delivery they are about: when, of which type, the report's enhanced status
 * and its diagnostic text. Added columns only (no table rebuild). An index on the lower-cased address finds
 * an address's recent deliveries (matching a report without a usable Message-ID, and counting an address's
 * bounces).
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export function bounces(_dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable("deliveries").addColumn("bounced_at", "text").execute();
      await db.schema
        .alterTable("deliveries")
        .addColumn("bounce_type", "text", (c) => c.check(sql`bounce_type in ('hard', 'soft', 'complaint')`))
        .execute();
      await db.schema.alterTable("deliveries").addColumn("bounce_status", "text").execute();
      await db.schema.alterTable("deliveries").addColumn("bounce_text", "text").execute();
      await db.schema
        .createIndex("deliveries_email_lower_idx")
        .on("deliveries")
        .expression(sql`lower(email)`)
        .execute();
    },
  };
}
