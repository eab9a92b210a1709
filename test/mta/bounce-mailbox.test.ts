/**
 * Real mail software: a mailing goes out through Postfix with VERP envelope senders; Postfix bounces one
 * copy (accepted at RCPT, failed at delivery) and writes the DSN to the bounce mailbox; PostPilot's IMAP
 * poller, running in the engine beside the worker, reads it from Dovecot, and the delivery ends bounced
 * with the DSN's status and text, the recipient suppressed. These tests fail (never skip) without
 * Postfix and Dovecot: `npm run test:mta`, run by .ci/run after installing them.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pollOnce } from "../../src/cli/bounces.js";
import { parseConfig } from "../../src/config.js";
import { createServices } from "../../src/container.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { createDeliveryRuntime, type DeliveryRuntime } from "../../src/delivery/runtime.js";
import { unsubscribeSecret } from "../../src/suppression/unsubscribe-token.js";
import { deliveriesOf, eventually, finishedRun } from "../delivery/support.js";
import { seedMailing } from "../helpers/fixtures.js";
import { build, setupAdmin } from "../helpers/web.js";
import { IMAP_PASSWORD, IMAP_USER, type MailServers, startMailServers } from "./servers.js";

let servers: MailServers;
let dataDir: string;

beforeAll(async () => {
  servers = await startMailServers();
  dataDir = mkdtempSync(path.join(tmpdir(), "postpilot-mta-data-"));
});
afterAll(async () => {
  await servers?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function configFor(password = IMAP_PASSWORD) {
  return parseConfig({
    DATA_DIR: dataDir,
    SMTP_URL: `smtp://127.0.0.1:${servers.smtpPort}`,
    SMTP_FROM: "PostPilot News <news@bounce.test>",
    SMTP_NAME: "postpilot.test",
    SMTP_TIMEOUT_MS: "5000",
    SMTP_RETURN_PATH: "bounces@bounce.test",
    UNSUBSCRIBE_MAILTO: "unsubscribe@bounce.test",
    BOUNCE_IMAP_URL: `imap://${IMAP_USER}:${password}@127.0.0.1:${servers.imapPort}/INBOX`,
    BOUNCE_IMAP_INTERVAL_MS: "1000",
    SEND_RETRY_BASE_MS: "50",
    SCHEDULER_INTERVAL_MS: "100",
  });
}

describe("bounces through Postfix and Dovecot", () => {
  let runtime: DeliveryRuntime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it("a copy Postfix bounces comes back to its VERP address, the poller reads it, the recipient is suppressed", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const config = configFor();
    runtime = createDeliveryRuntime({ database, config });
    runtime.start({ worker: true, scheduler: false });
    const seeded = await seedMailing(database.db, {
      recipients: ["gone@customers.test", "ok@customers.test"],
    });
    const created = await new KyselyRunsStore(database).createRun({
      mailingId: seeded.mailing.id,
      trigger: "web",
      actorUserId: seeded.user.id,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    if (!("run" in created)) throw new Error(created.skipped);
    const run = await finishedRun(database, created.run.id);
    expect(run.status).toBe("success");
    const gone = (await deliveriesOf(database, run.id)).find((d) => d.email === "gone@customers.test")!;

    const bounced = await eventually(
      async () => {
        const row = await database.db
          .selectFrom("deliveries")
          .selectAll()
          .where("id", "=", gone.id)
          .executeTakeFirstOrThrow();
        return row.bounce_type ? row : null;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nPostfix log:\n${servers.log()}`);
    });
    expect(bounced).toMatchObject({ status: "sent", bounce_type: "hard", bounce_status: "5.1.1" });
    expect(bounced.bounce_text).toContain("Mailbox gone (PostPilot MTA test)");
    expect(servers.log()).toMatch(/from=<bounces\+[0-9a-z]+-[0-9a-f]{20}@bounce\.test>/);

    const suppressed = await database.db.selectFrom("suppressions").selectAll().execute();
    expect(suppressed).toMatchObject([
      { email: "gone@customers.test", reason: "hard_bounce", source: "bounce", delivery_id: gone.id },
    ]);
    // The DSN was moved out of INBOX into the processed folder.
    await eventually(() => servers.messagesIn("PostPilot/Processed").length === 1);
    expect(servers.messagesIn("")).toEqual([]);
    const dsn = readFileSync(servers.messagesIn("PostPilot/Processed")[0]!, "utf8");
    expect(dsn).toContain("Content-Type: message/delivery-status");

    const page = await admin.get(`/runs/${run.id}`);
    expect(page.body).toMatch(/data-bounce="hard">[\s\S]*bounced[\s\S]*<code class="ms-1">5\.1\.1<\/code>/);
    expect(page.body).toContain("Mailbox gone (PostPilot MTA test)");

    // The recipient who stayed replies to the per-copy unsubscribe address: the poller unsubscribes them.
    const ok = (await deliveriesOf(database, run.id)).find((d) => d.email === "ok@customers.test")!;
    const copy = readFileSync(
      (await eventually(() => {
        const dir = path.join(servers.dir, "mail", "customers", "ok", "new");
        const files = existsSync(dir) ? readdirSync(dir) : [];
        return files.length > 0 ? path.join(dir, files[0]!) : null;
      }))!,
      "utf8",
    ).replace(/\r?\n[ \t]+/g, " ");
    const mailto = /<mailto:(unsubscribe\+[^?>]+@bounce\.test)\?subject=unsubscribe>/.exec(copy)?.[1];
    expect(mailto).toBeDefined();
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: servers.smtpPort,
      secure: false,
    });
    await transport.sendMail({ from: "ok@customers.test", to: mailto, subject: "unsubscribe", text: "stop" });
    await transport.sendMail({ from: "someone@customers.test", to: "bounces@bounce.test", text: "hello?" });
    transport.close();
    await eventually(
      async () =>
        (await database.db.selectFrom("suppressions").selectAll().where("delivery_id", "=", ok.id).execute())
          .length === 1,
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(
      await database.db.selectFrom("suppressions").selectAll().where("delivery_id", "=", ok.id).execute(),
    ).toMatchObject([{ email: "ok@customers.test", reason: "unsubscribed", source: "mailto" }]);
    // Mail that is neither goes to the ignored folder.
    await eventually(() => servers.messagesIn("PostPilot/Ignored").length === 1, { timeoutMs: 20_000 });
    expect(servers.messagesIn("PostPilot/Processed")).toHaveLength(2);
  });

  it("`bounces poll --once` says plainly when the login fails, without the password, and polls with the right one", async () => {
    const { database } = await build();
    const lines: string[] = [];
    const services = createServices(database, { unsubscribeSecret: unsubscribeSecret(dataDir) });
    const wrong = configFor("not-the-password");
    expect(await pollOnce(services.incoming, wrong.bounces.imap, (l) => lines.push(l))).toBe(1);
    expect(lines.join("\n")).toMatch(
      /The poll failed: bounce mailbox bounces@127\.0\.0\.1:\d+: login failed/,
    );
    expect(lines.join("\n")).not.toContain("not-the-password");

    lines.length = 0;
    expect(await pollOnce(services.incoming, configFor().bounces.imap, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(["No messages in INBOX."]);
  });
});
