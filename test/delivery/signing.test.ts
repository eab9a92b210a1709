import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AccountEmailsRepository } from "../../src/accounts/account-emails.repository.js";
import { dkimKeyPath, parseConfig } from "../../src/config.js";
import type { Database } from "../../src/db/database.js";
import type { SendOutcome } from "../../src/delivery/classify.js";
import {
  dkimRecordName,
  dkimSigner,
  generateDkimKey,
  SIGNED_HEADERS,
  signerByFromDomain,
} from "../../src/delivery/dkim.js";
import type { Mailer, OutgoingMail } from "../../src/delivery/ports.js";
import { createDeliveryRuntime, type DeliveryRuntime } from "../../src/delivery/runtime.js";
import { SigningMailer } from "../../src/delivery/signing.mailer.js";
import { sampleContext } from "../../src/templates/check.js";
import { compileMessage } from "../../src/templates/compile.js";
import { formatAddress, MimeSkeleton } from "../../src/templates/mime.js";
import { testDatabase } from "../helpers/db.js";
import { signedHeaders, verifyDkim } from "../helpers/dkim.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { eventually } from "./support.js";

const DOMAIN = "postpilot.test";
const SELECTOR = "s1";
const key = generateDkimKey();
const records = { [dkimRecordName(DOMAIN, SELECTOR)]: key.txt };

/** The header names of a message that SIGNED_HEADERS lists, lower case, sorted. */
function signableHeadersOf(raw: string): string[] {
  const wanted = new Set(SIGNED_HEADERS.toLowerCase().split(":"));
  const head = raw.slice(0, raw.indexOf("\r\n\r\n")).split("\r\n");
  const names = head.filter((l) => /^[^ \t]/.test(l)).map((l) => l.slice(0, l.indexOf(":")).toLowerCase());
  return [...new Set(names.filter((n) => wanted.has(n)))].sort();
}

function recordingMailer() {
  const sent: OutgoingMail[] = [];
  const mailer: Mailer = {
    kind: "outbox",
    async send(mail): Promise<SendOutcome> {
      sent.push(mail);
      return { ok: true, stage: "local", response: "250 OK" };
    },
    async close() {},
  };
  return { mailer, sent };
}

describe(SigningMailer.name, () => {
  it("signs a sender identity's copy with its own domain's key, and others with the main key", async () => {
    const otherKey = generateDkimKey();
    const both = { ...records, [dkimRecordName("shop.example", "s2")]: otherKey.txt };
    const sign = signerByFromDomain({ domain: DOMAIN, selector: SELECTOR, ...key }, [
      { domain: "shop.example", selector: "s2", ...otherKey },
    ]);
    const compiled = compileMessage({
      format: "markdown",
      subject: "Hi {{ recipient.first_name }}",
      body: "# Hello {{ recipient.full_name }}",
      layout: null,
    });
    const copy = (from: string) =>
      new MimeSkeleton({
        from,
        replyTo: null,
        date: new Date(),
        headers: { "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      }).copy(
        {
          to: formatAddress("Иван Петров", "ivan@example.com"),
          messageId: "postpilot.1.1@shop.example",
          extra: "List-Unsubscribe: <https://x.test/u/t>\r\n",
        },
        compiled.render(sampleContext()),
      );
    const shop = sign(copy('"Shop" <news@shop.example>'));
    expect(await verifyDkim(shop, both)).toEqual([{ status: "pass", domain: "shop.example" }]);
    const main = sign(copy('"Other" <news@elsewhere.example>'));
    expect(await verifyDkim(main, both)).toEqual([{ status: "pass", domain: DOMAIN }]);
  });

  it("signs the finished copy it is given, per-recipient List-Unsubscribe headers included", async () => {
    const inner = recordingMailer();
    const sut = new SigningMailer(inner.mailer, dkimSigner({ domain: DOMAIN, selector: SELECTOR, ...key }));
    const raw = Buffer.from(
      [
        "List-Unsubscribe: <https://postpilot.test/u/t0k3n>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "To: ann@example.com",
        "Message-ID: <postpilot.1.1@postpilot.test>",
        `From: PostPilot <news@${DOMAIN}>`,
        "Subject: News",
        "Date: Tue, 01 Dec 2026 10:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "Hello",
        "",
      ].join("\r\n"),
    );

    const outcome = await sut.send({
      deliveryId: 1,
      from: "news@postpilot.test",
      fromHeader: "",
      to: "ann@example.com",
      subject: "News",
      raw,
    });

    expect(outcome.ok).toBe(true);
    expect(sut.kind).toBe("outbox");
    const signed = inner.sent[0]!.raw;
    expect(await verifyDkim(signed, records)).toEqual([{ status: "pass", domain: DOMAIN }]);
    expect(signedHeaders(signed)).toEqual(
      expect.arrayContaining(["list-unsubscribe", "list-unsubscribe-post", "to", "message-id"]),
    );
  });

  it("turns a signing failure into an outcome (the configuration's problem), never a throw", async () => {
    const inner = recordingMailer();
    const sut = new SigningMailer(inner.mailer, () => {
      throw new Error("no key");
    });

    const outcome = await sut.send({
      deliveryId: 1,
      from: "a@b.c",
      fromHeader: "",
      to: "x@y.z",
      subject: "",
      raw: Buffer.from(""),
    });

    expect(outcome).toMatchObject({ ok: false, stage: "local", errorCode: "EDKIM" });
    expect(inner.sent).toHaveLength(0);
  });
});

describe("DKIM through the delivery runtime", () => {
  let database: Database;
  let dataDir: string;
  let runtime: DeliveryRuntime | undefined;
  let smtp: TestSmtpServer | undefined;

  beforeEach(async () => {
    database = await testDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), "postpilot-dkim-"));
    const file = dkimKeyPath(dataDir, DOMAIN, SELECTOR);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, key.privateKey, { mode: 0o600 });
  });

  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    await smtp?.close();
    smtp = undefined;
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function start(env: Record<string, string>) {
    const config = parseConfig({
      DATA_DIR: dataDir,
      SMTP_FROM: `PostPilot <news@${DOMAIN}>`,
      DKIM_DOMAIN: DOMAIN,
      DKIM_SELECTOR: SELECTOR,
      SCHEDULER_INTERVAL_MS: "50",
      SEND_CONCURRENCY: "4",
      ...env,
    });
    runtime = createDeliveryRuntime({ database, config });
    runtime.start();
    return runtime;
  }

  it("sends each recipient a signed copy over SMTP, with EHLO as SMTP_NAME", async () => {
    smtp = await TestSmtpServer.start();
    const { recipients } = await seedMailing(database.db, { recipients: 5 });
    start({ SMTP_URL: smtp.url, SMTP_NAME: "mail.postpilot.test" });

    await eventually(() => smtp!.received.length === recipients.length);
    for (const message of smtp.received) {
      expect(await verifyDkim(message.raw, records)).toEqual([{ status: "pass", domain: DOMAIN }]);
      expect(signedHeaders(message.raw)).toEqual(expect.arrayContaining(["to", "message-id", "subject"]));
      // Whatever per-recipient headers a copy gains (List-Unsubscribe…), each one of SIGNED_HEADERS it has is signed.
      expect(signedHeaders(message.raw).sort()).toEqual(signableHeadersOf(message.raw));
    }
    expect([...smtp.ehloNames]).toEqual(["mail.postpilot.test"]);
  });

  it("stores signed copies in the local outbox, account emails too (without unsubscribe headers)", async () => {
    await seedMailing(database.db, { recipients: 2 });
    await new AccountEmailsRepository(database.db).enqueue(
      {
        userId: null,
        to: "ann@example.com",
        subject: "Confirm your email",
        body: "Open https://x.test/c?t=1",
      },
      new Date().toISOString(),
    );
    start({});

    const rows = await eventually(async () => {
      const stored = await database.db.selectFrom("outbox_messages").selectAll().execute();
      return stored.length === 3 ? stored : null;
    });
    for (const row of rows) {
      expect(row.raw.startsWith("DKIM-Signature: ")).toBe(true);
      expect(await verifyDkim(row.raw, records)).toEqual([{ status: "pass", domain: DOMAIN }]);
    }
    const account = rows.find((r) => r.delivery_id === null)!;
    expect(account.subject).toBe("Confirm your email");
    expect(account.raw).not.toMatch(/^List-Unsubscribe/im);
  });
});
