/**
 * The home page counters (migration 019) against COUNT(*) after seeded random writes of every kind the
 * product makes: recipients created, deleted and re-addressed (bulk and one by one), mailings created,
 * enabled, disabled, completed and deleted, and runs the scheduler creates. Then `recount` repairs a
 * counter corrupted on purpose.
 */
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DashboardRepository, type Figures } from "../../src/dashboard/dashboard.repository.js";
import { recount } from "../../src/db/counters.js";
import type { Database } from "../../src/db/database.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { Scheduler } from "../../src/delivery/scheduler.js";
import { FakeClock } from "../delivery/support.js";
import { testDatabase } from "../helpers/db.js";
import { createMailing, createMessage, createRecipients, createUser } from "../helpers/fixtures.js";

const T0 = "2027-03-10T09:00:00.000Z";

/** mulberry32: a small seeded PRNG, so a failure replays. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("home page counters", () => {
  let database: Database;
  beforeEach(async () => {
    database = await testDatabase();
  });
  afterEach(async () => database.close());

  /** The figures as the dashboard computed them before the counters: COUNT(*) over the data. */
  async function counted(ownerId: number | null): Promise<Figures> {
    const db = database.db;
    const own = ownerId === null ? sql`true` : sql`owner_id = ${ownerId}`;
    const { rows } = await sql<{ m: number; a: number; r: number }>`select
      (select count(*) from mailings where ${own}) as m,
      (select count(*) from mailings where ${own} and status = 'running') as a,
      (select count(distinct email_normalized) from recipients where ${own}) as r`.execute(db);
    const row = rows[0]!;
    return { mailings: Number(row.m), activeMailings: Number(row.a), uniqueRecipients: Number(row.r) };
  }

  it("equal COUNT(*) for each owner and for all users after random writes", async () => {
    const random = prng(20261202);
    const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
    const db = database.db;
    const clock = new FakeClock(Date.parse(T0));
    const scheduler = new Scheduler({ store: new KyselyRunsStore(database), clock, intervalMs: 1000 });
    const users = [await createUser(db), await createUser(db), await createUser(db)];
    const messages = new Map<number, number>();
    for (const user of users) messages.set(user.id, (await createMessage(db, user.id)).id);
    // A small pool of addresses so owners share some and re-addressing collides.
    const address = () => `p${Math.floor(random() * 40)}@Example.test`;
    const repository = new DashboardRepository(db);

    for (let step = 0; step < 150; step++) {
      const owner = pick(users).id;
      const op = Math.floor(random() * 9);
      if (op <= 1) {
        const emails = [...new Set(Array.from({ length: 1 + Math.floor(random() * 5) }, address))];
        await db.transaction().execute(async (tx) => {
          const taken = await tx
            .selectFrom("recipients")
            .select("email_normalized")
            .where("owner_id", "=", owner)
            .execute();
          const fresh = emails.filter((e) => !taken.some((t) => t.email_normalized === e.toLowerCase()));
          if (fresh.length > 0) await createRecipients(tx, owner, fresh);
        });
      } else if (op === 2) {
        const ids = await db.selectFrom("recipients").select("id").where("owner_id", "=", owner).execute();
        const chosen = ids.filter(() => random() < 0.3).map((r) => r.id);
        if (chosen.length > 0) await db.deleteFrom("recipients").where("id", "in", chosen).execute();
      } else if (op === 3) {
        const ids = await db.selectFrom("recipients").select("id").where("owner_id", "=", owner).execute();
        if (ids.length === 0) continue;
        const email = address();
        const clash = await db
          .selectFrom("recipients")
          .select("id")
          .where("owner_id", "=", owner)
          .where("email_normalized", "=", email.toLowerCase())
          .executeTakeFirst();
        if (clash) continue;
        await db
          .updateTable("recipients")
          .set({ email, email_normalized: email.toLowerCase() })
          .where("id", "=", pick(ids).id)
          .execute();
      } else if (op === 4) {
        // An update that changes no address (e.g. a name): the counters stay.
        await db
          .updateTable("recipients")
          .set({ full_name: `n${step}` })
          .where("owner_id", "=", owner)
          .execute();
      } else if (op === 5) {
        const ids = await db.selectFrom("recipients").select("id").where("owner_id", "=", owner).execute();
        await createMailing(db, {
          ownerId: owner,
          messageId: messages.get(owner)!,
          recipientIds: ids.filter(() => random() < 0.5).map((r) => r.id),
          first_send_at: clock.now().toISOString(),
          end_at: new Date(clock.now().getTime() + (1 + Math.floor(random() * 3)) * 86_400_000).toISOString(),
          periodicity: pick(["once", "daily"]),
          status: pick(["created", "running", "completed"]),
        });
      } else if (op === 6) {
        const status = pick(["created", "running", "completed"] as const);
        const disabled = random() < 0.5 ? clock.now().toISOString() : null;
        await db
          .updateTable("mailings")
          .set({ status, disabled_at: disabled })
          .where("owner_id", "=", owner)
          .where("id", "in", (eb) =>
            eb.selectFrom("mailings").select("id").where("owner_id", "=", owner).limit(2),
          )
          .execute();
      } else if (op === 7) {
        const one = await db
          .selectFrom("mailings")
          .select("id")
          .where("owner_id", "=", owner)
          .executeTakeFirst();
        if (one) await db.deleteFrom("mailings").where("id", "=", one.id).execute();
      } else {
        clock.advance(Math.floor(random() * 36) * 3_600_000);
        await scheduler.tick();
      }
    }
    // One mailing surely due, so the scheduler turns at least one mailing Running.
    const [due] = await createRecipients(db, users[0]!.id, ["due@example.test"]);
    await createMailing(db, {
      ownerId: users[0]!.id,
      messageId: messages.get(users[0]!.id)!,
      recipientIds: [due!.id],
      first_send_at: clock.now().toISOString(),
    });
    await scheduler.tick();
    expect(await db.selectFrom("runs").select("id").execute()).not.toHaveLength(0);

    for (const owner of [...users.map((u) => u.id), null]) {
      expect({ owner, ...(await repository.figures(owner)) }).toEqual({ owner, ...(await counted(owner)) });
    }
    const all = await counted(null);
    expect(all.uniqueRecipients).toBeGreaterThan(0);
    expect(all.activeMailings + all.mailings).toBeGreaterThan(0);
    // Nothing for recount to repair.
    expect(await db.transaction().execute((tx) => recount(tx))).toEqual([]);
  });

  it("recount repairs a corrupted counter and says what changed", async () => {
    const db = database.db;
    const user = await createUser(db);
    await createRecipients(db, user.id, ["a@example.test", "b@example.test"]);
    await db
      .updateTable("counters")
      .set({ value: 7 })
      .where("owner_id", "=", user.id)
      .where("name", "=", "recipients")
      .execute();
    await db.deleteFrom("counters").where("owner_id", "=", 0).where("name", "=", "recipients").execute();
    const repository = new DashboardRepository(db);
    expect((await repository.figures(user.id)).uniqueRecipients).toBe(7);

    const changes = await db.transaction().execute((tx) => recount(tx));

    expect(changes).toEqual([
      { ownerId: 0, name: "recipients", before: 0, after: 2 },
      { ownerId: user.id, name: "recipients", before: 7, after: 2 },
    ]);
    expect((await repository.figures(user.id)).uniqueRecipients).toBe(2);
    expect((await repository.figures(null)).uniqueRecipients).toBe(2);
  });
});
