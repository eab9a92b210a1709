import { Migrator, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import { StaticMigrationProvider } from "../../src/db/migrations/index.js";
import { seedMailing } from "../helpers/fixtures.js";

describe("2026-12-01-010-bounces", () => {
  let database: Database;
  afterEach(async () => database?.close());

  it("adds the bounce columns to deliveries without rebuilding the table (SQLite), rows kept", async () => {
    database = Database.memory();
    const migrator = new Migrator({ db: database.db, provider: new StaticMigrationProvider("sqlite") });
    expect((await migrator.migrateTo("2026-12-01-009-suppression")).error).toBeUndefined();
    const seeded = await seedMailing(database.db, { recipients: ["ann@example.com"] });
    const now = new Date().toISOString();
    const run = await database.db
      .insertInto("runs")
      .values({
        mailing_id: seeded.mailing.id,
        trigger: "web",
        actor_user_id: null,
        status: "success",
        scheduled_for: now,
        subject: "S",
        body: "B",
        total_count: 1,
        sent_count: 1,
        failed_count: 0,
        response: null,
        started_at: now,
        finished_at: now,
        created_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    // Without the new columns, as the app wrote rows before this migration.
    await sql`insert into deliveries (run_id, recipient_id, email, status, tries, next_attempt_at, created_at, updated_at)
      values (${run.id}, ${seeded.recipients[0]!.id}, 'Ann@Example.com', 'sent', 1, ${now}, ${now}, ${now})`.execute(
      database.db,
    );
    const before = await sql<{ sql: string }>`
      select sql from sqlite_master where type = 'table' and name = 'deliveries'`.execute(database.db);

    expect((await migrator.migrateTo("2026-12-01-010-bounces")).error).toBeUndefined();
    const after = await sql<{ sql: string }>`
      select sql from sqlite_master where type = 'table' and name = 'deliveries'`.execute(database.db);
    // ADD COLUMN only inserts the columns into the stored CREATE statement (before the table constraints);
    // a rebuild would have rewritten it.
    const added =
      /, "bounced_at" text, "bounce_type" text check \(bounce_type in \([^)]*\)\), "bounce_status" text, "bounce_text" text/;
    expect(after.rows[0]!.sql).toMatch(added);
    expect(after.rows[0]!.sql.replace(added, "")).toBe(before.rows[0]!.sql);
    const row = await database.db.selectFrom("deliveries").selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      email: "Ann@Example.com",
      status: "sent",
      bounced_at: null,
      bounce_type: null,
      bounce_status: null,
      bounce_text: null,
    });
    await expect(
      database.db
        .updateTable("deliveries")
        .set({ bounce_type: "bogus" as "hard" })
        .execute(),
    ).rejects.toThrow(/CHECK/);
    const plan = await sql<{ detail: string }>`
      explain query plan select id from deliveries where lower(email) = lower('ann@example.com')`.execute(
      database.db,
    );
    expect(plan.rows.map((r) => r.detail).join(" ")).toContain("deliveries_email_lower_idx");
  });
});
