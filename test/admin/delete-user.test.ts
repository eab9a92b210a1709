import { afterEach, describe, expect, it } from "vitest";
import { AdminService } from "../../src/admin/admin.service.js";
import type { Database } from "../../src/db/database.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { testDatabase } from "../helpers/db.js";
import { createRecipients, createUser, seedMailing } from "../helpers/fixtures.js";

describe("deleting a user with many rows", () => {
  let database: Database;
  afterEach(async () => database?.close());

  it("removes their deliveries, tries and recipients in chunks, leaves other users' rows and the counters exact", async () => {
    database = await testDatabase();
    const { user, mailing } = await seedMailing(database.db, { recipients: 12 });
    const created = await new KyselyRunsStore(database).createRun({
      mailingId: mailing.id,
      trigger: "cli",
      actorUserId: null,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    if (!("run" in created)) throw new Error(`no run: ${created.skipped}`);
    const deliveries = await database.db.selectFrom("deliveries").select("id").execute();
    await database.db
      .insertInto("delivery_attempts")
      .values(
        deliveries.map((d) => ({
          delivery_id: d.id,
          run_id: created.run.id,
          attempted_at: new Date().toISOString(),
          stage: "data" as const,
          outcome: "sent" as const,
          code: 250,
          enhanced: null,
          text: "ok",
          relay: null,
        })),
      )
      .execute();
    const other = await createUser(database.db);
    // The same addresses at another user: the all-users count keeps them.
    await createRecipients(database.db, other.id, 5);

    await new AdminService(database).deleteUser("cli", user.id);

    const count = async (table: "deliveries" | "delivery_attempts" | "recipients" | "users") =>
      (await database.db.selectFrom(table).select("id").execute()).length;
    expect(await count("deliveries")).toBe(0);
    expect(await count("delivery_attempts")).toBe(0);
    expect(await count("recipients")).toBe(5);
    expect(await database.db.selectFrom("users").select("id").where("id", "=", user.id).execute()).toEqual(
      [],
    );
    const counters = await database.db
      .selectFrom("counters")
      .select(["owner_id", "value"])
      .where("name", "=", "recipients")
      .where("value", "<>", 0)
      .orderBy("owner_id")
      .execute();
    expect(counters.map((c) => [c.owner_id, Number(c.value)])).toEqual([
      [0, 5],
      [other.id, 5],
    ]);
  });
});
