import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BounceService } from "../../src/bounces/bounces.service.js";
import { parseReport } from "../../src/bounces/dsn.js";
import type { Database } from "../../src/db/database.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { reportAbout, sendRun } from "./support.js";

describe(BounceService.name, () => {
  let database: Database;
  let sut: BounceService;

  beforeEach(async () => {
    database = await testDatabase();
    sut = new BounceService(database, { hardLimit: 1, softLimit: 3 });
  });
  afterEach(async () => {
    await database.close();
  });

  async function sent(emails: string[]) {
    const seeded = await seedMailing(database.db, { recipients: emails });
    const { run, deliveries } = await sendRun(database, seeded.mailing.id, seeded.user.id);
    return { ...seeded, run, deliveries };
  }

  const suppressions = () => database.db.selectFrom("suppressions").selectAll().execute();

  it("records a 5.1.1 DSN on its delivery by Message-ID, suppresses the address, and the next run skips it", async () => {
    const s = await sent(["nobody@example.com", "ok@example.com"]);
    const target = s.deliveries.find((d) => d.email === "nobody@example.com")!;
    expect(target.status).toBe("sent");
    const report = await parseReport(
      reportAbout("postfix-unknown-user.eml", target.message_id!, "nobody@example.com", "nobody@example.com"),
    );
    const outcomes = await sut.processReport(report);
    expect(outcomes).toMatchObject([{ result: "recorded", deliveryId: target.id, suppressed: true }]);

    const row = await database.db
      .selectFrom("deliveries")
      .selectAll()
      .where("id", "=", target.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "sent", bounce_type: "hard", bounce_status: "5.1.1" });
    expect(row.bounce_text).toContain("User unknown in virtual mailbox table");
    expect(await suppressions()).toMatchObject([
      {
        owner_id: s.user.id,
        email: "nobody@example.com",
        reason: "hard_bounce",
        source: "bounce",
        delivery_id: target.id,
        run_id: s.run.id,
      },
    ]);

    // The same DSN again records nothing new.
    expect(await sut.processReport(report)).toMatchObject([{ result: "duplicate", suppressed: false }]);
    expect(await suppressions()).toHaveLength(1);

    const next = await sendRun(database, s.mailing.id, s.user.id);
    expect(next.deliveries.find((d) => d.email === "nobody@example.com")).toMatchObject({
      status: "suppressed",
      last_text: "Suppressed: hard_bounce",
    });
    expect(next.deliveries.find((d) => d.email === "ok@example.com")?.status).toBe("sent");
  });

  it("suppresses after BOUNCE_SOFT_LIMIT runs in a row with a soft bounce, not before", async () => {
    const s = await sent(["full@example.net"]);
    const soft = async (deliveries: typeof s.deliveries) =>
      sut.processReport(
        await parseReport(
          reportAbout(
            "postfix-mailbox-full.eml",
            deliveries[0]!.message_id!,
            "full@example.net",
            "full@example.net",
          ),
        ),
      );
    expect(await soft(s.deliveries)).toMatchObject([{ result: "recorded", type: "soft", suppressed: false }]);
    const second = await sendRun(database, s.mailing.id, s.user.id);
    expect(await soft(second.deliveries)).toMatchObject([{ suppressed: false }]);
    const third = await sendRun(database, s.mailing.id, s.user.id);
    expect(await soft(third.deliveries)).toMatchObject([{ suppressed: true }]);
    expect(await suppressions()).toMatchObject([{ reason: "soft_bounce", source: "bounce" }]);
  });

  it("counts soft bounces only in a row: a run without one starts again", async () => {
    sut = new BounceService(database, { hardLimit: 1, softLimit: 2 });
    const s = await sent(["full@example.net"]);
    const softAbout = async (messageId: string) =>
      sut.processReport(
        await parseReport(
          reportAbout("postfix-mailbox-full.eml", messageId, "full@example.net", "full@example.net"),
        ),
      );
    await softAbout(s.deliveries[0]!.message_id!);
    await sendRun(database, s.mailing.id, s.user.id); // delivered: no bounce
    const third = await sendRun(database, s.mailing.id, s.user.id);
    expect(await softAbout(third.deliveries[0]!.message_id!)).toMatchObject([{ suppressed: false }]);
  });

  it("suppresses a complaint at once and records an unsubscribe with source complaint", async () => {
    const s = await sent(["reader@yahoo.com"]);
    const d = s.deliveries[0]!;
    const outcomes = await sut.processReport(
      await parseReport(
        reportAbout("yahoo-arf-abuse.eml", d.message_id!, "reader@yahoo.com", "reader@yahoo.com"),
      ),
    );
    expect(outcomes).toMatchObject([{ result: "recorded", type: "complaint", suppressed: true }]);
    expect(await suppressions()).toMatchObject([
      { reason: "complaint", source: "complaint", delivery_id: d.id },
    ]);
    const unsubscribes = await database.db.selectFrom("unsubscribes").selectAll().execute();
    expect(unsubscribes).toMatchObject([
      { delivery_id: d.id, source: "complaint", email: "reader@yahoo.com" },
    ]);
  });

  it("matches a multi-recipient DSN by address when only one owner mailed it; ignores delayed recipients", async () => {
    const s = await sent(["gone@example.com", "Quota@Example.com", "slow@example.com"]);
    const report = await parseReport(
      reportAbout("multi-recipient.eml", "unknown@elsewhere.example", "gone@example.com", "gone@example.com"),
    );
    const outcomes = await sut.processReport(report);
    expect(outcomes.map((o) => [o.email, o.result, o.suppressed])).toEqual([
      ["gone@example.com", "recorded", true],
      // 5.2.2 is permanent but not "no such address": recorded, counted like a soft bounce.
      ["Quota@Example.com", "recorded", false],
      ["slow@example.com", "ignored", false],
    ]);
    const quota = s.deliveries.find((d) => d.email === "Quota@Example.com")!;
    const row = await database.db
      .selectFrom("deliveries")
      .select(["bounce_type", "bounce_status"])
      .where("id", "=", quota.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ bounce_type: "hard", bounce_status: "5.2.2" });
  });

  it("does not match by address when two owners mailed it, nor a Message-ID whose run does not match", async () => {
    const a = await sent(["shared@example.com"]);
    await sent(["shared@example.com"]);
    const byAddress = await sut.process({
      type: "hard",
      email: "shared@example.com",
      status: "5.1.1",
      text: null,
      deliveryId: null,
      trustDelivery: false,
    });
    expect(byAddress.result).toBe("unmatched");
    const d = a.deliveries[0]!;
    const forged = `postpilot.${a.run.id + 100}.${d.id}@example.org`;
    const report = await parseReport(
      reportAbout("postfix-unknown-user.eml", forged, "nobody@example.com", "nobody@example.com"),
    );
    expect(await sut.processReport(report)).toMatchObject([{ result: "unmatched" }]);
    expect(await suppressions()).toHaveLength(0);
  });

  it("counts the worker's own 5.1.x failures at RCPT as hard bounces (suppressHardFailures)", async () => {
    const s = await sent(["nobody@example.com"]);
    const d = s.deliveries[0]!;
    await database.db
      .updateTable("deliveries")
      .set({ status: "failed", last_code: 550, last_enhanced: "5.1.1", last_text: "550 5.1.1 no such user" })
      .where("id", "=", d.id)
      .execute();
    expect(await sut.suppressHardFailures(s.run.id)).toEqual(["nobody@example.com"]);
    expect(await suppressions()).toMatchObject([
      { reason: "hard_bounce", source: "bounce", delivery_id: d.id },
    ]);
    expect(await sut.suppressHardFailures(s.run.id)).toEqual([]);
  });

  it("returns nothing for a message that is not a report", async () => {
    expect(await sut.processReport({ kind: "unknown", returnedTo: [], subject: "" })).toEqual([]);
  });
});
