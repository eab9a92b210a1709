import { Migrator, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import { StaticMigrationProvider } from "../../src/db/migrations/index.js";
import { onPostgres, testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";

const now = new Date().toISOString();

async function seed(database: Database) {
  const db = database.db;
  const { mailing } = await seedMailing(db, { recipients: [] });
  const run = await db
    .insertInto("runs")
    .values({
      mailing_id: mailing.id,
      trigger: "web",
      actor_user_id: null,
      status: "sending",
      scheduled_for: now,
      subject: "S",
      body: "B",
      total_count: 1,
      sent_count: 0,
      failed_count: 0,
      response: null,
      started_at: now,
      finished_at: null,
      created_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const delivery = await db
    .insertInto("deliveries")
    .values({
      run_id: run.id,
      recipient_id: null,
      email: "x@example.com",
      status: "sent",
      tries: 1,
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    } as never)
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .insertInto("delivery_attempts")
    .values({
      delivery_id: delivery.id,
      run_id: run.id,
      attempted_at: now,
      stage: "data",
      outcome: "sent",
      code: 250,
      enhanced: null,
      text: "ok",
      relay: null,
    })
    .execute();
  await db
    .insertInto("outbox_messages")
    .values({
      delivery_id: delivery.id,
      from_address: "a",
      to_address: "b",
      subject: "S",
      raw: "r",
      created_at: now,
    })
    .execute();
  return { run: run.id, delivery: delivery.id };
}

/**
 * Migrates a database holding a delivery (with a try and an outbox row) from `from` to `to`, which rebuilds
 * the deliveries table on SQLite to widen its status CHECK, and checks rows, ids, indexes and foreign keys
 * survive and that `status` is allowed afterwards. `open` keeps the database so afterEach closes it.
 */
async function keepsDeliveriesAcross(
  from: string,
  to: string,
  status: "suppressed" | "cancelled",
  open: (database: Database) => Database,
): Promise<void> {
  let database: Database;
  const schema = `mig_${process.pid}_${Date.now()}`;
  if (onPostgres) {
    // A fresh schema of its own, so the migrations run from the start beside the test database.
    const admin = await testDatabase();
    await sql`create schema ${sql.id(schema)}`.execute(admin.db);
    await admin.close();
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.searchParams.set("options", `-c search_path=${schema}`);
    database = open(Database.postgres(url.toString(), { max: 1 }));
  } else database = open(Database.memory());
  try {
    const migrator = new Migrator({
      db: database.db,
      provider: new StaticMigrationProvider(database.dialect),
      ...(onPostgres ? { migrationTableSchema: schema } : {}),
    });
    const before = await migrator.migrateTo(from);
    expect(before.error).toBeUndefined();
    const ids = await seed(database);
    const indexes = async () =>
      database.dialect === "sqlite"
        ? (
            await sql<{ sql: string }>`select sql from sqlite_master
              where tbl_name = 'deliveries' and type = 'index' order by name`.execute(database.db)
          ).rows
        : (
            await sql<{ sql: string }>`select indexdef as sql from pg_indexes
              where tablename = 'deliveries' and schemaname = ${schema} order by indexname`.execute(
              database.db,
            )
          ).rows;
    const indexesBefore = await indexes();
    expect(indexesBefore.length).toBeGreaterThan(3);
    expect((await migrator.migrateTo(to)).error).toBeUndefined();
    expect(await indexes()).toEqual(indexesBefore);
    const row = await database.db.selectFrom("deliveries").selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ id: ids.delivery, status: "sent", email: "x@example.com" });
    // The new status is allowed, others still are not.
    await database.db.updateTable("deliveries").set({ status }).execute();
    await expect(
      database.db
        .updateTable("deliveries")
        .set({ status: "bogus" as never })
        .execute(),
    ).rejects.toThrow();
    // The foreign keys of delivery_attempts and outbox_messages point at the (rebuilt) table.
    await database.db.deleteFrom("deliveries").execute();
    expect(await database.db.selectFrom("delivery_attempts").selectAll().execute()).toEqual([]);
    const outbox = await database.db.selectFrom("outbox_messages").selectAll().executeTakeFirstOrThrow();
    expect(outbox.delivery_id).toBeNull();
    // New ids continue after the old ones.
    const next = await database.db
      .insertInto("deliveries")
      .values({
        run_id: ids.run,
        recipient_id: null,
        email: "y@example.com",
        status: "pending",
        tries: 0,
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      } as never)
      .returning("id")
      .executeTakeFirstOrThrow();
    expect(next.id).toBeGreaterThan(ids.delivery);
  } finally {
    if (onPostgres) await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
  }
}

describe("2026-12-01-009-suppression", () => {
  let database: Database;
  afterEach(async () => database?.close());

  it("migrates a database with deliveries keeping rows, ids, indexes and foreign keys", async () => {
    await keepsDeliveriesAcross(
      "2026-12-01-008-delivery-attempts",
      "2026-12-01-009-suppression",
      "suppressed",
      (d) => {
        database = d;
        return d;
      },
    );
  });

  it("allows the suppressed status on either database", async () => {
    database = await testDatabase();
    await seed(database);
    await database.db.updateTable("deliveries").set({ status: "suppressed" }).execute();
    await expect(
      database.db
        .updateTable("deliveries")
        .set({ status: "bogus" as never })
        .execute(),
    ).rejects.toThrow();
  });
});

describe("2026-12-02-015-run-controls", () => {
  let database: Database;
  afterEach(async () => database?.close());

  it("migrates a database with deliveries keeping rows, ids, indexes and foreign keys", async () => {
    await keepsDeliveriesAcross(
      "2026-12-02-011-messages",
      "2026-12-02-015-run-controls",
      "cancelled",
      (d) => {
        database = d;
        return d;
      },
    );
  });
});
