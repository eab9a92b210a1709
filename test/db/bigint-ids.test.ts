import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, parseInt8 } from "../../src/db/database.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { onPostgres, testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";

describe("64-bit delivery and try ids", () => {
  let database: Database;
  afterEach(async () => database?.close());

  it("parses bigint from PostgreSQL into an exact number and refuses one past 2^53 - 1", () => {
    expect(parseInt8("4294967296")).toBe(2 ** 32);
    expect(parseInt8(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseInt8("9007199254740993")).toThrow(/too large/);
  });

  it("stores and reads back delivery and try ids past 2^31 as numbers", async () => {
    database = await testDatabase();
    const { user, mailing } = await seedMailing(database.db, { recipients: 2 });
    const big = 2 ** 40;
    // The sequence is bigint too on PostgreSQL: the next deliveries are numbered past 2^31.
    if (onPostgres) await sql`select setval('deliveries_id_seq', ${big})`.execute(database.db);
    const created = await new KyselyRunsStore(database).createRun({
      mailingId: mailing.id,
      trigger: "web",
      actorUserId: user.id,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    if (!("run" in created)) throw new Error(`no run: ${created.skipped}`);
    const deliveries = await database.db
      .selectFrom("deliveries")
      .select(["id", "run_id"])
      .where("run_id", "=", created.run.id)
      .orderBy("id")
      .execute();
    expect(deliveries).toHaveLength(2);
    const first = deliveries[0]!;
    if (onPostgres) expect(first.id).toBeGreaterThan(2 ** 31);
    expect(typeof first.id).toBe("number");
    const attempt = await database.db
      .insertInto("delivery_attempts")
      .values({
        id: big + 7,
        delivery_id: first.id,
        run_id: created.run.id,
        attempted_at: new Date().toISOString(),
        stage: "rcpt",
        outcome: "retry",
        code: 451,
        enhanced: null,
        text: "try later",
        relay: null,
      })
      .returning(["id", "delivery_id"])
      .executeTakeFirstOrThrow();
    expect(attempt).toEqual({ id: big + 7, delivery_id: first.id });
    const found = await database.db
      .selectFrom("deliveries")
      .select("id")
      .where("id", "=", first.id)
      .executeTakeFirstOrThrow();
    expect(found.id).toBe(first.id);
  });
});
