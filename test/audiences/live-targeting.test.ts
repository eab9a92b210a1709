/**
 * A mailing's audience is resolved when each run is created: lists, segments, everyone and the individually
 * picked, minus exclusions, with suppressed addresses marked and never sent.
 */
import { afterEach, describe, expect, it } from "vitest";
import { AudienceService } from "../../src/audiences/audience.service.js";
import type { Database } from "../../src/db/database.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { ListsService } from "../../src/lists/lists.service.js";
import { SegmentsService } from "../../src/segments/segments.service.js";
import { testDatabase } from "../helpers/db.js";
import { createMailing, createMessage, createRecipients, createUser } from "../helpers/fixtures.js";

let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

async function setup() {
  database = await testDatabase();
  const db = database.db;
  const owner = await createUser(db);
  const message = await createMessage(db, owner.id);
  const store = new KyselyRunsStore(database);
  const lists = new ListsService(database);
  const audiences = new AudienceService(database);
  const segments = new SegmentsService(database);
  let minute = 0;
  /** Creates a run now and finishes it (so the next one is not "busy"); returns who got a delivery. */
  const run = async (mailingId: number, now = new Date(Date.UTC(2026, 11, 2, 9, minute++))) => {
    const created = await store.createRun({
      mailingId,
      trigger: "web",
      actorUserId: owner.id,
      scheduledFor: now.toISOString(),
      now,
    });
    if (!("run" in created)) return { skipped: created.skipped, sent: [], suppressed: [] };
    const rows = await db
      .selectFrom("deliveries")
      .select(["email", "status"])
      .where("run_id", "=", created.run.id)
      .orderBy("email")
      .execute();
    await db.updateTable("runs").set({ status: "success" }).where("id", "=", created.run.id).execute();
    return {
      skipped: null,
      sent: rows.filter((r) => r.status === "pending").map((r) => r.email),
      suppressed: rows.filter((r) => r.status === "suppressed").map((r) => r.email),
    };
  };
  const mailing = async () =>
    createMailing(db, { ownerId: owner.id, messageId: message.id, periodicity: "daily" });
  return { db, owner, store, lists, audiences, segments, run, mailing };
}

describe("live targeting", () => {
  it("a repeating mailing to a list reaches a recipient added to the list after its first run", async () => {
    const { db, owner, lists, audiences, run, mailing } = await setup();
    const [ann, bob] = await createRecipients(db, owner.id, ["ann@a.test", "bob@a.test"]);
    const list = await lists.create(owner, { name: "Customers" });
    await lists.addMembers(owner, list.id, { ids: [ann!.id] });
    const m = await mailing();
    await audiences.set(owner, m.id, { lists: [String(list.id)] });
    expect((await run(m.id)).sent).toEqual(["ann@a.test"]);
    await lists.addMembers(owner, list.id, { emails: ["bob@a.test"] });
    const [cy] = await createRecipients(db, owner.id, ["cy@a.test"]);
    await lists.addMembers(owner, list.id, { ids: [cy!.id] });
    expect((await run(m.id)).sent).toEqual(["ann@a.test", "bob@a.test", "cy@a.test"]);
    await lists.removeMembers(owner, list.id, { ids: [bob!.id] });
    expect((await run(m.id)).sent).toEqual(["ann@a.test", "cy@a.test"]);
  });

  it("a mailing to a segment reaches a recipient whose custom field changed to match", async () => {
    const { db, owner, audiences, segments, run, mailing } = await setup();
    const [ann, bob] = await createRecipients(db, owner.id, ["ann@a.test", "bob@b.test"]);
    const field = await db
      .insertInto("custom_fields")
      .values({
        owner_id: owner.id,
        key: "plan",
        label: "Plan",
        type: "text",
        created_at: new Date().toISOString(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await db
      .insertInto("recipient_fields")
      .values({ recipient_id: ann!.id, field_id: field.id, value_text: "pro", value_number: null })
      .execute();
    await db
      .insertInto("recipient_fields")
      .values({ recipient_id: bob!.id, field_id: field.id, value_text: "free", value_number: null })
      .execute();
    const segment = await segments.create(owner, {
      name: "Pro",
      definition: { match: "all", conditions: [{ kind: "field", key: "plan", op: "eq", value: "pro" }] },
    });
    const m = await mailing();
    await audiences.set(owner, m.id, { segments: [String(segment.id)] });
    expect((await run(m.id)).sent).toEqual(["ann@a.test"]);
    await db
      .updateTable("recipient_fields")
      .set({ value_text: "pro" })
      .where("recipient_id", "=", bob!.id)
      .execute();
    expect((await run(m.id)).sent).toEqual(["ann@a.test", "bob@b.test"]);
  });

  it("everyone minus an excluded list and segment; suppressed addresses are marked, never sent", async () => {
    const { db, owner, lists, audiences, segments, run, mailing } = await setup();
    const people = await createRecipients(db, owner.id, [
      "ann@a.test",
      "bob@a.test",
      "cy@b.test",
      "dee@c.test",
    ]);
    const other = await createUser(db);
    await createRecipients(db, other.id, ["stranger@a.test"]);
    const staff = await lists.create(owner, { name: "Staff" });
    await lists.addMembers(owner, staff.id, { ids: [people[0]!.id] });
    const bDomain = await segments.create(owner, {
      name: "b.test",
      definition: {
        match: "any",
        conditions: [{ kind: "text", column: "email", op: "ends_with_domain", value: "b.test" }],
      },
    });
    await db
      .insertInto("suppressions")
      .values({
        owner_id: owner.id,
        email: "dee@c.test",
        email_normalized: "dee@c.test",
        reason: "unsubscribed",
        source: "page",
        delivery_id: null,
        run_id: null,
        mailing_id: null,
        comment: null,
        created_at: new Date().toISOString(),
      })
      .execute();
    const m = await mailing();
    await audiences.set(owner, m.id, {
      all: "on",
      exclude_lists: [String(staff.id)],
      exclude_segments: [String(bDomain.id)],
    });
    expect(await audiences.count(owner, m.id)).toEqual({ total: 2, suppressed: 1 });
    const result = await run(m.id);
    expect(result.sent).toEqual(["bob@a.test"]);
    expect(result.suppressed).toEqual(["dee@c.test"]);
  });

  it("two runs of the same audience at the same instant resolve to the same people", async () => {
    const { db, owner, lists, audiences, run, mailing } = await setup();
    const people = await createRecipients(db, owner.id, 300);
    const list = await lists.create(owner, { name: "Half" });
    await lists.addMembers(owner, list.id, { ids: people.filter((_, i) => i % 2 === 0).map((r) => r.id) });
    const [a, b] = [await mailing(), await mailing()];
    for (const m of [a, b]) await audiences.set(owner, m.id, { lists: [String(list.id)], exclude_lists: [] });
    const now = new Date(Date.UTC(2026, 11, 2, 12));
    const [ra, rb] = await Promise.all([run(a.id, now), run(b.id, now)]);
    expect(ra.sent).toHaveLength(150);
    expect(ra.sent).toEqual(rb.sent);
  });

  it("individually picked recipients (the old per-mailing picker) are still sent, alone or with a list", async () => {
    const { db, owner, lists, audiences, run } = await setup();
    const people = await createRecipients(db, owner.id, ["ann@a.test", "bob@a.test", "cy@a.test"]);
    const message = await createMessage(db, owner.id);
    const m = await createMailing(db, {
      ownerId: owner.id,
      messageId: message.id,
      recipientIds: [people[0]!.id],
    });
    expect((await run(m.id)).sent).toEqual(["ann@a.test"]);
    const list = await lists.create(owner, { name: "L" });
    await lists.addMembers(owner, list.id, { ids: [people[2]!.id] });
    await audiences.set(owner, m.id, { lists: [String(list.id)] });
    expect((await run(m.id)).sent).toEqual(["ann@a.test", "cy@a.test"]);
    await audiences.set(owner, m.id, {});
    expect((await run(m.id)).sent).toEqual(["ann@a.test"]);
  });

  it("refuses another user's list or segment in an audience, and a list both included and excluded", async () => {
    const { db, owner, lists, audiences, mailing } = await setup();
    const other = await createUser(db);
    const theirs = await lists.create(other, { name: "Theirs" });
    const mine = await lists.create(owner, { name: "Mine" });
    const m = await mailing();
    await expect(audiences.set(owner, m.id, { lists: [String(theirs.id)] })).rejects.toMatchObject({
      fieldErrors: { lists: "Choose your own lists." },
    });
    await expect(
      audiences.set(owner, m.id, { lists: [String(mine.id)], exclude_lists: [String(mine.id)] }),
    ).rejects.toMatchObject({
      fieldErrors: { exclude_lists: "A list cannot be both included and excluded." },
    });
    await expect(audiences.set(other, m.id, {})).rejects.toThrow("Mailing not found");
  });
});
