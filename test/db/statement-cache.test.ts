/** The SQLite connection's prepared-statement cache (db/statement-cache.ts): same answers, busy statements. */
import SQLite from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { withStatementCache } from "../../src/db/statement-cache.js";

describe("withStatementCache", () => {
  it("reuses a statement for the same SQL, prepares anew while one is being iterated, and evicts the oldest", () => {
    const raw = new SQLite(":memory:");
    const db = withStatementCache(raw, 2);
    db.exec("create table t (n integer)");
    db.prepare("insert into t (n) values (?)").run(1);
    db.prepare("insert into t (n) values (?)").run(2);
    const select = "select n from t order by n";
    const first = db.prepare(select);
    expect(db.prepare(select)).toBe(first);
    expect(first.all()).toEqual([{ n: 1 }, { n: 2 }]);
    // A streamed read keeps its statement busy: the same SQL meanwhile gets its own statement.
    const seen: number[] = [];
    for (const row of first.iterate() as Iterable<{ n: number }>) {
      const inner = db.prepare(select);
      expect(inner).not.toBe(first);
      seen.push(row.n, ...inner.all().map((r) => (r as { n: number }).n));
    }
    expect(seen).toEqual([1, 1, 2, 2, 1, 2]);
    // Two statements at most: a third SQL text evicts the least recently used.
    db.prepare("select 1");
    db.prepare("select 2");
    expect(db.prepare(select)).not.toBe(first);
    // Everything else is the connection's own.
    expect(db.pragma("user_version", { simple: true })).toBe(0);
    db.close();
    expect(raw.open).toBe(false);
  });
});
