/**
 * "About N now" on lists of mailings: "all my recipients" is the owner's recipients counter (exact, no scan
 * of recipients); other live audiences are bounded at MATCH_CAP on lists and exact on the mailing's page.
 */
import { afterEach, describe, expect, it } from "vitest";
import { AudienceService } from "../../src/audiences/audience.service.js";
import type { Database } from "../../src/db/database.js";
import { ListsService } from "../../src/lists/lists.service.js";
import { MailingsRepository } from "../../src/mailings/mailings.repository.js";
import { mailingListQuery } from "../../src/mailings/mailings.schemas.js";
import { MATCH_CAP } from "../../src/shared/pagination.js";
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
  const other = await createUser(db, { email: "other@example.test" });
  const message = await createMessage(db, owner.id);
  const mailing = () => createMailing(db, { ownerId: owner.id, messageId: message.id, periodicity: "daily" });
  return {
    db,
    owner,
    other,
    mailing,
    audiences: new AudienceService(database),
    repo: new MailingsRepository(db),
  };
}

describe("mailing audience estimates", () => {
  it("'all my recipients' is exactly the owner's recipients, read from the counter", async () => {
    const { db, owner, other, mailing, audiences, repo } = await setup();
    await createRecipients(db, owner.id, ["a@x.test", "b@x.test", "c@x.test"]);
    await createRecipients(db, other.id, ["a@x.test", "z@x.test"]);
    const m = await mailing();
    await audiences.set(owner, m.id, { all: "on" });
    expect((await repo.latest(owner, 5)).map((r) => [r.recipient_count, r.recipient_count_capped])).toEqual([
      [3, undefined],
    ]);
    expect((await repo.findById(owner, m.id))?.recipient_count).toBe(3);
    // The counter is the figure: nothing counts the recipients table for "all".
    await db
      .updateTable("counters")
      .set({ value: 1234 })
      .where("owner_id", "=", owner.id)
      .where("name", "=", "recipients")
      .execute();
    expect((await repo.latest(owner, 5))[0]?.recipient_count).toBe(1234);
    expect((await repo.listKeyset(owner, "", "desc", null, 10))[0]?.recipient_count).toBe(1234);
  });

  it("other audiences are bounded at MATCH_CAP on lists and exact on the mailing's page", async () => {
    const { db, owner, mailing, audiences, repo } = await setup();
    await createRecipients(db, owner.id, MATCH_CAP + 5);
    const empty = await new ListsService(database!).create(owner, { name: "Nobody" });
    const big = await mailing();
    await audiences.set(owner, big.id, { all: "on", exclude_lists: [String(empty.id)] });
    const small = await mailing();
    const [first] = await createRecipients(db, owner.id, ["list@x.test"]);
    const list = await new ListsService(database!).create(owner, { name: "One" });
    await new ListsService(database!).addMembers(owner, list.id, { ids: [first!.id] });
    await audiences.set(owner, small.id, { lists: [String(list.id)] });
    const rows = new Map((await repo.latest(owner, 5)).map((r) => [r.id, r]));
    expect(rows.get(big.id)).toMatchObject({ recipient_count: MATCH_CAP, recipient_count_capped: true });
    expect(rows.get(small.id)).toMatchObject({ recipient_count: 1, recipient_count_capped: false });
    expect((await repo.findById(owner, big.id))?.recipient_count).toBe(MATCH_CAP + 6);
  });

  it("individually picked recipients are bounded at MATCH_CAP on lists and exact on the mailing's page", async () => {
    const { db, owner, mailing, repo } = await setup();
    await createRecipients(db, owner.id, MATCH_CAP + 3);
    const many = await mailing();
    const few = await mailing();
    await db
      .insertInto("mailing_recipients")
      .columns(["mailing_id", "recipient_id"])
      .expression(db.selectFrom("recipients").select((eb) => [eb.val(many.id).as("m"), "id"]))
      .execute();
    const [one] = await db.selectFrom("recipients").select("id").limit(2).execute();
    await db.insertInto("mailing_recipients").values({ mailing_id: few.id, recipient_id: one!.id }).execute();
    const rows = new Map((await repo.latest(owner, 5)).map((r) => [r.id, r]));
    expect(rows.get(many.id)).toMatchObject({ recipient_count: MATCH_CAP, recipient_count_capped: true });
    expect(rows.get(few.id)?.recipient_count).toBe(1);
    expect(rows.get(few.id)?.recipient_count_capped).toBeUndefined();
    const listed = await repo.list(owner, mailingListQuery.parse({}));
    expect(listed.rows.find((r) => r.id === many.id)?.recipient_count_capped).toBe(true);
    const page = await repo.findById(owner, many.id);
    expect(page?.recipient_count).toBe(MATCH_CAP + 3);
    expect(page?.recipient_count_capped).toBeUndefined();
  });
});
