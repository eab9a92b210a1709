import { afterEach, describe, expect, it } from "vitest";
import { AccountEmailsRepository } from "../../src/accounts/account-emails.repository.js";
import { AccountMailSender, composeAccountEmail } from "../../src/accounts/account-mail.sender.js";
import type { Database } from "../../src/db/database.js";
import type { SendOutcome } from "../../src/delivery/classify.js";
import type { Mailer, OutgoingMail } from "../../src/delivery/ports.js";
import { testDatabase } from "../helpers/db.js";

/** A Mailer that answers from a script and remembers what it was given. */
function fakeMailer(...outcomes: SendOutcome[]) {
  const sent: OutgoingMail[] = [];
  const mailer: Mailer = {
    kind: "smtp",
    async send(mail) {
      sent.push(mail);
      return outcomes.shift() ?? { ok: true, stage: "data", response: "250 OK" };
    },
    async close() {},
  };
  return { mailer, sent };
}

const T0 = new Date("2026-11-24T12:00:00.000Z").getTime();
let database: Database | undefined;

afterEach(async () => {
  await database?.close();
  database = undefined;
});

async function setUp(outcomes: SendOutcome[]) {
  database = await testDatabase();
  let now = T0;
  const clock = { now: () => new Date(now) };
  const fake = fakeMailer(...outcomes);
  const sut = new AccountMailSender({
    db: database.db,
    mailer: fake.mailer,
    from: "PostPilot <postpilot@example.com>",
    clock,
    policy: { baseMs: 60_000, maxTries: 3, maxAgeMs: 24 * 3600_000 },
    random: () => 0,
  });
  await new AccountEmailsRepository(database.db).enqueue(
    {
      userId: null,
      to: "ann@example.com",
      subject: "Confirm",
      body: "Open https://x.test/confirm?token=abc",
    },
    new Date(now).toISOString(),
  );
  const row = () => database!.db.selectFrom("account_emails").selectAll().executeTakeFirstOrThrow();
  return { sut, sent: fake.sent, row, advance: (ms: number) => (now += ms) };
}

describe(AccountMailSender.name, () => {
  it("retries a temporary failure later, with backoff, and then sends", async () => {
    const t = await setUp([
      { ok: false, stage: "rcpt", response: "451 4.3.0 Try again later", responseCode: 451 },
    ]);
    expect(await t.sut.runOnce()).toBe(1);
    const retry = await t.row();
    expect(retry).toMatchObject({ status: "pending", tries: 1, last_error: "451 4.3.0 Try again later" });
    expect(Date.parse(retry.next_attempt_at)).toBe(T0 + 30_000); // base 60 s with equal jitter, random 0

    expect(await t.sut.runOnce()).toBe(0); // not due yet
    t.advance(30_000);
    expect(await t.sut.runOnce()).toBe(1);
    expect(await t.row()).toMatchObject({ status: "sent", tries: 2, last_error: null });
    expect((await t.row()).body).not.toContain("token=abc");
    expect(t.sent).toHaveLength(2);
    expect(t.sent[0]).toMatchObject({
      deliveryId: null,
      from: "postpilot@example.com",
      to: "ann@example.com",
    });
  });

  it("stops after a permanent failure", async () => {
    const t = await setUp([
      { ok: false, stage: "rcpt", response: "550 5.1.1 No such user", responseCode: 550 },
    ]);
    await t.sut.runOnce();
    expect(await t.row()).toMatchObject({ status: "failed", tries: 1, last_error: "550 5.1.1 No such user" });
    t.advance(24 * 3600_000);
    expect(await t.sut.runOnce()).toBe(0);
    expect(t.sent).toHaveLength(1);
  });

  it("gives up after its tries; a server that is down does not use them up", async () => {
    const busy = { ok: false, stage: "rcpt" as const, response: "450 Mailbox busy", responseCode: 450 };
    const t = await setUp([
      { ok: false, stage: "connect", errorCode: "ECONNREFUSED", message: "connect ECONNREFUSED" },
      busy,
      busy,
      busy,
    ]);
    await t.sut.runOnce();
    expect(await t.row()).toMatchObject({ status: "pending", tries: 0 });
    for (let i = 0; i < 3; i++) {
      t.advance(3600_000);
      await t.sut.runOnce();
    }
    const row = await t.row();
    expect(row).toMatchObject({ status: "failed", tries: 3 });
    expect(row.last_error).toContain("gave up after 3 tries");
    expect(t.sent).toHaveLength(4);
  });

  it("never sends one row twice when two senders run at once", async () => {
    const t = await setUp([]);
    const other = new AccountMailSender({
      db: database!.db,
      mailer: fakeMailer().mailer,
      from: "PostPilot <postpilot@example.com>",
      clock: { now: () => new Date(T0) },
      policy: { baseMs: 60_000, maxTries: 3, maxAgeMs: 3600_000 },
    });
    const handled = await Promise.all([t.sut.runOnce(), other.runOnce()]);
    expect(handled[0] + handled[1]).toBe(1);
  });

  it("starts and stops as a loop", async () => {
    const t = await setUp([]);
    t.sut.start();
    await expect.poll(async () => (await t.row()).status).toBe("sent");
    await t.sut.stop();
  });
});

describe(composeAccountEmail.name, () => {
  it("keeps a plain ASCII message 7bit, so a long link stays on one line", async () => {
    const link = `https://postpilot.example.com/confirm?token=${"x".repeat(43)}`;
    const raw = (
      await composeAccountEmail({
        from: "PostPilot <postpilot@example.com>",
        to: "ann@example.com",
        subject: "Confirm",
        body: `Hello,\n\n${link}\n`,
        date: new Date(T0),
        messageId: "postpilot.account.1@example.com",
      })
    ).toString();
    expect(raw).toContain("Content-Transfer-Encoding: 7bit\r\n");
    expect(raw).toContain(`\r\n${link}\r\n`);
    expect(raw).toContain("To: ann@example.com\r\n");
  });

  it("lets nodemailer encode anything else", async () => {
    const raw = (
      await composeAccountEmail({
        from: "PostPilot <postpilot@example.com>",
        to: "ann@example.com",
        subject: "Bestätigen",
        body: "Grüße",
        date: new Date(T0),
        messageId: "postpilot.account.1@example.com",
      })
    ).toString();
    expect(raw).not.toContain("7bit");
    expect(raw).toContain("To: ann@example.com\r\n");
  });
});
