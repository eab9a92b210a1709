/**
 * 64-bit delivery and try ids on PostgreSQL: deliveries.id, delivery_attempts.id and every column that
 * points at a delivery become bigint, and their sequences too (a sender of a million a day passes 2^31
 * deliveries in six years). SQLite's INTEGER is 64-bit already: nothing to do there. pg hands bigint back as
 * a string; db/database.ts parses it into a number (refusing one above Number.MAX_SAFE_INTEGER).
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

const COLUMNS: [table: string, column: string][] = [
  ["deliveries", "id"],
  ["delivery_attempts", "id"],
  ["delivery_attempts", "delivery_id"],
  ["outbox_messages", "delivery_id"],
  ["suppressions", "delivery_id"],
  ["unsubscribes", "delivery_id"],
];

export function bigintDeliveryIds(dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      if (dialect !== "postgres") return;
      for (const [table, column] of COLUMNS) {
        await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type bigint`.execute(db);
      }
      await sql`alter sequence deliveries_id_seq as bigint`.execute(db);
      await sql`alter sequence delivery_attempts_id_seq as bigint`.execute(db);
    },
  };
}
