/**
 * Deleting many rows without a long transaction: `chunk` rows at a time, each chunk its own short
 * transaction (on SQLite a few milliseconds of write lock), yielding to the event loop in between.
 * Used by retention (delivery/retention.ts) and by deleting a user with millions of rows (admin/).
 */
import { type RawBuilder, sql } from "kysely";
import type { Db } from "./database.js";

export type ChunkedTable = "deliveries" | "delivery_attempts" | "recipients";

/**
 * Deletes the rows of `table` matching `where` (SQL over that table's columns), `chunk` per transaction,
 * until none is left; returns how many were deleted.
 */
export async function deleteInChunks(
  db: Db,
  table: ChunkedTable,
  where: RawBuilder<unknown>,
  chunk = 5_000,
): Promise<number> {
  let removed = 0;
  for (;;) {
    const result = await db.transaction().execute((tx) =>
      tx
        .deleteFrom(table)
        .where("id", "in", sql<number>`(select id from ${sql.table(table)} where ${where} limit ${chunk})`)
        .executeTakeFirst(),
    );
    const n = Number(result.numDeletedRows);
    removed += n;
    if (n < chunk) return removed;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
