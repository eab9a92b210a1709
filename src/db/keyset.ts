/**
 * Keyset paging and bounded counts in SQL, for both dialects: a row-value comparison on (sort key, id)
 * that an index on (owner/parent, sort key, id) serves as a range scan, and a COUNT over a LIMIT subquery.
 */
import { type Expression, type SelectQueryBuilder, type SqlBool, sql } from "kysely";
import type { Seek } from "../shared/pagination.js";
import type { Executor } from "./database.js";

/**
 * The rows of a keyset page: `qb` ordered by (sortExpr, idRef) in `dir`, from the seek's key, up to
 * `limit + 1` rows (the extra row tells whether there is a further page). Seeking before scans backwards.
 * Past a key it reads in two index seeks, rows with the same sort value and a further id, then rows with a
 * further sort value: a row-value comparison `(sort, id) > (?, ?)` would seek on the sort value only
 * (SQLite), scanning every row that shares it (an import gives a million recipients one created_at).
 */
export async function seekPage<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  sortExpr: Expression<unknown>,
  idRef: string,
  dir: "asc" | "desc",
  seek: Seek,
  limit: number,
): Promise<O[]> {
  const backwards = seek.from === "before";
  const scan = (dir === "asc") !== backwards ? "asc" : "desc";
  const id = sql.ref(idRef);
  const ordered = (q: SelectQueryBuilder<DB, TB, O>) =>
    q.orderBy(sql`${sortExpr} ${sql.raw(scan)}`).orderBy(sql`${id} ${sql.raw(scan)}`);
  if (seek.from === "start")
    return ordered(qb)
      .limit(limit + 1)
      .execute();
  const op = sql.raw(scan === "asc" ? ">" : "<");
  const [value, lastId] = seek.key;
  const same = await ordered(
    qb.where(sql<SqlBool>`${sortExpr} = ${value}`).where(sql<SqlBool>`${id} ${op} ${lastId}`),
  )
    .limit(limit + 1)
    .execute();
  if (same.length > limit) return same;
  const further = await ordered(qb.where(sql<SqlBool>`${sortExpr} ${op} ${value}`))
    .limit(limit + 1 - same.length)
    .execute();
  return [...same, ...further];
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
