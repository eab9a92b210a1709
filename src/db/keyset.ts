/**
 * Keyset paging and bounded counts in SQL, for both dialects: a row-value comparison on (sort key, id)
 * that an index on (owner/parent, sort key, id) serves as a range scan, and a COUNT over a LIMIT subquery.
 */
import { type Expression, type SelectQueryBuilder, type SqlBool, sql } from "kysely";
import type { Seek } from "../shared/pagination.js";
import type { Executor } from "./database.js";

/**
 * Orders `qb` by (sortExpr, idRef) in `dir`, starts it at the seek's key and limits it to `limit + 1` rows
 * (the extra row tells whether there is a further page). Seeking before scans backwards.
 */
export function seekPage<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  sortExpr: Expression<unknown>,
  idRef: string,
  dir: "asc" | "desc",
  seek: Seek,
  limit: number,
): SelectQueryBuilder<DB, TB, O> {
  const backwards = seek.from === "before";
  const scan = (dir === "asc") !== backwards ? "asc" : "desc";
  const id = sql.ref(idRef);
  let out = qb;
  if (seek.from !== "start") {
    const op = sql.raw(scan === "asc" ? ">" : "<");
    const [value, lastId] = seek.key;
    out = out.where(sql<SqlBool>`(${sortExpr}, ${id}) ${op} (${value}, ${lastId})`);
  }
  return out
    .orderBy(sql`${sortExpr} ${sql.raw(scan)}`)
    .orderBy(sql`${id} ${sql.raw(scan)}`)
    .limit(limit + 1);
}

/** COUNT(*) of a query's rows, reading at most `cap + 1` of them: `capped` when there are more than `cap`. */
export async function boundedCount<DB, TB extends keyof DB, O>(
  db: Executor,
  qb: SelectQueryBuilder<DB, TB, O>,
  cap: number,
): Promise<{ total: number; capped: boolean }> {
  const inner = qb
    .clearSelect()
    .select(sql`1`.as("one"))
    .limit(cap + 1);
  const row = await db
    .selectFrom(inner.as("bounded"))
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  const n = Number(row.n);
  return { total: Math.min(n, cap), capped: n > cap };
}
