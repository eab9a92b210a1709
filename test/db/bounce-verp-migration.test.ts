import { Migrator, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import { StaticMigrationProvider } from "../../src/db/migrations/index.js";
import { onPostgres, testDatabase } from "../helpers/db.js";
import { createUser } from "../helpers/fixtures.js";

const now = new Date().toISOString();

function row(ownerId: number, email: string, reason: string, comment: string | null) {
  return {
    owner_id: ownerId,
    email,
    email_normalized: email,
    reason: reason as never,
    source: "bounce" as const,
    delivery_id: null,
    run_id: null,
    mailing_id: null,
    comment,
    created_at: now,
  };
}

describe("2026-12-02-014-bounce-verp", () => {
  let database: Database;
  afterEach(async () => database?.close());

  it("files the soft-bounce rule's old entries as soft_bounce, keeping rows, ids and indexes", async () => {
    const schema = `mig_${process.pid}_${Date.now()}`;
    if (onPostgres) {
      const admin = await testDatabase();
      await sql`create schema ${sql.id(schema)}`.execute(admin.db);
      await admin.close();
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.searchParams.set("options", `-c search_path=${schema}`);
      database = Database.postgres(url.toString(), { max: 1 });
    } else database = Database.memory();
    try {
      const migrator = new Migrator({
        db: database.db,
        provider: new StaticMigrationProvider(database.dialect),
        ...(onPostgres ? { migrationTableSchema: schema } : {}),
      });
      expect((await migrator.migrateTo("2026-12-01-010-bounces")).error).toBeUndefined();
      const user = await createUser(database.db);
      const soft = row(
        user.id,
        "soft@example.com",
        "hard_bounce",
        "soft bounce (4.2.2): 3 of 3 runs in a row",
      );
      const hard = row(user.id, "hard@example.com", "hard_bounce", "hard bounce 1 of 1");
      const [a, b] = await database.db
        .insertInto("suppressions")
        .values([soft, hard])
        .returning("id")
        .execute();
      const indexes = async () =>
        database.dialect === "sqlite"
          ? (
              await sql<{ sql: string }>`select sql from sqlite_master
                where tbl_name = 'suppressions' and type = 'index' order by name`.execute(database.db)
            ).rows
          : (
              await sql<{ sql: string }>`select indexdef as sql from pg_indexes
                where tablename = 'suppressions' and schemaname = ${schema} order by indexname`.execute(
                database.db,
              )
            ).rows;
      const before = await indexes();
      expect(before.length).toBeGreaterThanOrEqual(3);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await indexes()).toEqual(before);
      const rows = await database.db.selectFrom("suppressions").selectAll().orderBy("id").execute();
      expect(rows).toMatchObject([
        { id: a!.id, email: "soft@example.com", reason: "soft_bounce" },
        { id: b!.id, email: "hard@example.com", reason: "hard_bounce" },
      ]);
      await expect(
        database.db
          .insertInto("suppressions")
          .values(row(user.id, "x@example.com", "bogus", null))
          .execute(),
      ).rejects.toThrow();
      const next = await database.db
        .insertInto("suppressions")
        .values(row(user.id, "y@example.com", "soft_bounce", null))
        .returning("id")
        .executeTakeFirstOrThrow();
      expect(next.id).toBeGreaterThan(b!.id);
    } finally {
      if (onPostgres) await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
    }
  });
});
