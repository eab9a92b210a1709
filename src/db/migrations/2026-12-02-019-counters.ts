/**
 * Exact counters for the home page figures (counters, counter_emails), filled from the current data and
 * kept by triggers (src/db/counters.ts) in the same transaction as every write.
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";
import { createCounterTriggers, recount } from "../counters.js";
import type { Dialect } from "./index.js";

export function counters(dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("counters")
        .addColumn("owner_id", "integer", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("value", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("counters_pk", ["owner_id", "name"])
        .execute();
      await db.schema
        .createTable("counter_emails")
        .addColumn("email", "text", (c) => c.primaryKey())
        .addColumn("owners", "integer", (c) => c.notNull())
        .execute();
      await recount(db);
      await createCounterTriggers(db, dialect);
    },
  };
}
