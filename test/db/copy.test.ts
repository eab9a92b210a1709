import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServices } from "../../src/container.js";
import { backupSqlite, copySqliteToPostgres } from "../../src/db/copy.js";
import { Database } from "../../src/db/database.js";
import { createUser, seedMailing } from "../helpers/fixtures.js";

// Empty (CI runs the SQLite suite with TEST_DATABASE_URL=) means unset.
const url = process.env.TEST_DATABASE_URL || undefined;

/** A SQLite file with rows in most tables: users, recipients, a mailing, a run with deliveries, an audit row. */
async function seeded(file: string) {
  const database = Database.sqlite(file);
  await database.migrateToLatest();
  const { user, mailing } = await seedMailing(database.db, {
    recipients: Array.from({ length: 1_200 }, (_, i) => `r${i}@example.com`),
  });
  await createUser(database.db, { email: "second@example.com" });
  const services = createServices(database);
  await services.delivery.sendNow(user, mailing.id, "web");
  await services.accounts
    .login({ email: "nobody@example.com", password: "wrong" }, { ip: "192.0.2.1" })
    .catch(() => {});
  return database;
}

async function counts(database: Database, tables: string[]) {
  const out: Record<string, { n: number; ids: string }> = {};
  for (const table of tables) {
    const hasId = (await database.db.introspection.getTables())
      .find((t) => t.name === table)!
      .columns.some((c) => c.name === "id");
    const { rows } = await sql<{
      n: number;
      ids: string | null;
    }>`select count(*) as n, ${hasId ? sql`sum(id)` : sql`null`} as ids from ${sql.table(table)}`.execute(
      database.db,
    );
    out[table] = { n: Number(rows[0]!.n), ids: String(rows[0]!.ids ?? "") };
  }
  return out;
}

describe("SQLite backup", () => {
  it("writes a consistent copy with every row, and refuses to overwrite a file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "postpilot-backup-"));
    try {
      const database = await seeded(path.join(dir, "postpilot.sqlite"));
      const { pages } = await backupSqlite(path.join(dir, "postpilot.sqlite"), path.join(dir, "copy.sqlite"));
      expect(pages).toBeGreaterThan(0);
      const copy = Database.sqlite(path.join(dir, "copy.sqlite"));
      const tables = ["users", "recipients", "deliveries", "runs", "login_throttles"];
      expect(await counts(copy, tables)).toEqual(await counts(database, tables));
      await copy.close();
      await expect(
        backupSqlite(path.join(dir, "postpilot.sqlite"), path.join(dir, "copy.sqlite")),
      ).rejects.toThrow("exists already");
      await database.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!url)("postpilot migrate-to-postgres", () => {
  const name = `${new URL(url ?? "postgres://x/x").pathname.slice(1)}_m2p`;
  const targetUrl = (() => {
    const u = new URL(url ?? "postgres://x/x");
    u.pathname = `/${name}`;
    return u.toString();
  })();
  const admin = () => new pg.Client({ connectionString: url });
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-m2p-"));
    const client = admin();
    await client.connect();
    await client.query(`drop database if exists ${name}`);
    await client.query(`create database ${name}`);
    await client.end();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const client = admin();
    await client.connect();
    await client.query(`drop database if exists ${name}`);
    await client.end();
  });

  it("copies every row of every table with the same ids and counts, then new ids follow on", async () => {
    const from = await seeded(path.join(dir, "postpilot.sqlite"));
    const to = Database.postgres(targetUrl, { max: 2 });
    try {
      await to.migrateToLatest();
      const report = await copySqliteToPostgres(from, to);
      const tables = report.map((r) => r.table);
      expect(tables.indexOf("users")).toBeLessThan(tables.indexOf("recipients"));
      expect(tables.indexOf("runs")).toBeLessThan(tables.indexOf("deliveries"));
      expect(report.find((r) => r.table === "deliveries")!.rows).toBe(1_200);
      expect(await counts(to, tables)).toEqual(await counts(from, tables));
      // A run's per-status counts are rebuilt by PostgreSQL's triggers as its deliveries arrive.
      const runCounts = (db: Database) =>
        db.db
          .selectFrom("run_counts")
          .select(["run_id", "status", "n"])
          .orderBy("run_id")
          .orderBy("status")
          .execute();
      expect((await runCounts(to)).map((r) => ({ ...r, n: Number(r.n) }))).toEqual(
        (await runCounts(from)).map((r) => ({ ...r, n: Number(r.n) })),
      );
      const maxUser = await to.db
        .selectFrom("users")
        .select((eb) => eb.fn.max("id").as("m"))
        .executeTakeFirstOrThrow();
      const next = await createUser(to.db, { email: "after@example.com" });
      expect(next.id).toBe(Number(maxUser.m) + 1);
      // A second copy into the now non-empty database is refused, and changes nothing.
      await expect(copySqliteToPostgres(from, to)).rejects.toThrow("not empty");
    } finally {
      await to.close();
      await from.close();
    }
    expect(existsSync(path.join(dir, "postpilot.sqlite"))).toBe(true);
  }, 60_000);
});
