import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutgoingMail } from "../../src/delivery/ports.js";
import { SmtpMailer, type SmtpMailerOptions } from "../../src/delivery/smtp.mailer.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { eventually } from "./support.js";

function mail(to: string, subject = "Hello"): OutgoingMail {
  const raw = `From: sender@postpilot.test\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${to}.${subject.length}@postpilot.test>\r\n\r\nHi there.\r\n`;
  return {
    deliveryId: null,
    from: "sender@postpilot.test",
    fromHeader: "sender@postpilot.test",
    to,
    subject,
    raw: Buffer.from(raw),
  };
}

describe(SmtpMailer.name, () => {
  let smtp: TestSmtpServer;
  let sut: SmtpMailer | undefined;

  beforeEach(async () => {
    smtp = await TestSmtpServer.start();
  });

  afterEach(async () => {
    await sut?.close();
    sut = undefined;
    await smtp.close();
  });

  function mailer(options: Partial<SmtpMailerOptions> = {}): SmtpMailer {
    sut = new SmtpMailer({ url: smtp.url, timeoutMs: 2_000, concurrency: 1, ...options });
    return sut;
  }

  it("sends a message and reports the final reply at the data stage", async () => {
    const outcome = await mailer().send(mail("r1@example.test"));

    expect(outcome).toMatchObject({
      ok: true,
      stage: "data",
      responseCode: 250,
      dataStarted: false,
      relay: `127.0.0.1:${smtp.port}`,
    });
    expect(outcome.response).toMatch(/^250 /);
    expect(smtp.received.map((m) => m.to)).toEqual([["r1@example.test"]]);
  });

  it("reports a 550 to RCPT at the rcpt stage and keeps the connection", async () => {
    smtp.rcptReplies.set("gone@example.test", { code: 550, message: "5.1.1 No such user here" });
    const sut = mailer();

    const outcome = await sut.send(mail("gone@example.test"));
    expect(outcome).toMatchObject({ ok: false, stage: "rcpt", responseCode: 550, dataStarted: false });
    expect(outcome.response).toBe("550 5.1.1 No such user here");
    expect(await sut.send(mail("r1@example.test"))).toMatchObject({ ok: true });
    expect(smtp.connections).toBe(1);
  });

  it("reports a 451 to RCPT at the rcpt stage and keeps the connection", async () => {
    smtp.failFirst.set("r1@example.test", { code: 451, message: "4.7.1 Greylisted, try later", times: 1 });
    const sut = mailer();

    const outcome = await sut.send(mail("r1@example.test"));
    expect(outcome).toMatchObject({ ok: false, stage: "rcpt", responseCode: 451, dataStarted: false });
    expect(await sut.send(mail("r1@example.test"))).toMatchObject({ ok: true, stage: "data" });
    expect(smtp.connections).toBe(1);
  });

  it("reports a refused login at the auth stage, and logs in with the right password", async () => {
    smtp.requireAuth = true;

    const refused = await mailer({ url: smtp.authUrl("postpilot", "wrong") }).send(mail("r1@example.test"));
    expect(refused).toMatchObject({ ok: false, stage: "auth", responseCode: 535, errorCode: "EAUTH" });
    expect(refused.response).toBe("535 5.7.8 Authentication credentials invalid");
    await sut!.close();

    expect(await mailer({ url: smtp.authUrl() }).send(mail("r1@example.test"))).toMatchObject({ ok: true });
    expect(smtp.authAttempts).toBe(2);
  });

  it("reports a 554 greeting at the greeting stage", async () => {
    smtp.greetingReply = { code: 554, message: "5.3.2 Service unavailable" };

    const outcome = await mailer().send(mail("r1@example.test"));
    expect(outcome).toMatchObject({ ok: false, stage: "greeting", responseCode: 554, dataStarted: false });
    expect(outcome.response).toBe("554 5.3.2 Service unavailable");
  });

  it("reports a server that never greets at the greeting stage once the timeout passes", async () => {
    const silent = net.createServer(() => {});
    const sockets = new Set<net.Socket>();
    silent.on("connection", (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const outcome = await mailer({ url: `smtp://127.0.0.1:${port}`, timeoutMs: 200 }).send(
        mail("r1@example.test"),
      );
      expect(outcome).toMatchObject({ ok: false, stage: "greeting", errorCode: "ETIMEDOUT" });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("upgrades with STARTTLS when offered, and reports an untrusted certificate at the starttls stage", async () => {
    const tls = await TestSmtpServer.start({ hideSTARTTLS: false });
    try {
      const refused = await mailer({ url: tls.url }).send(mail("r1@example.test"));
      expect(refused).toMatchObject({ ok: false, stage: "starttls" });
      expect(refused.message).toMatch(/certificate/i);
      await sut!.close();

      const url = `${tls.url}/?tls.rejectUnauthorized=false`;
      expect(await mailer({ url }).send(mail("r1@example.test"))).toMatchObject({ ok: true });
      expect(tls.received).toHaveLength(1);
    } finally {
      await sut?.close();
      sut = undefined;
      await tls.close();
    }
  });

  it("speaks TLS from the start on smtps://, and reports a failed handshake at the connect stage", async () => {
    const tls = await TestSmtpServer.start({ secure: true });
    try {
      const url = `smtps://127.0.0.1:${tls.port}`;
      const refused = await mailer({ url }).send(mail("r1@example.test"));
      expect(refused).toMatchObject({ ok: false, stage: "connect", relay: `127.0.0.1:${tls.port}` });
      await sut!.close();

      expect(
        await mailer({ url: `${url}/?tls.rejectUnauthorized=false` }).send(mail("r1@example.test")),
      ).toMatchObject({ ok: true });
      expect(tls.received).toHaveLength(1);
    } finally {
      await sut?.close();
      sut = undefined;
      await tls.close();
    }
  });

  it("reports a 530 to MAIL FROM at the mail stage, pipelined or not", async () => {
    smtp.mailFromReply = { code: 530, message: "5.7.0 Authentication required" };
    const outcome = await mailer().send(mail("r1@example.test"));
    expect(outcome).toMatchObject({ ok: false, stage: "mail", responseCode: 530, dataStarted: false });
    expect(outcome.response).toBe("530 5.7.0 Authentication required");

    smtp.mailFromReply = null;
    smtp.requireAuth = true;
    expect(await sut!.send(mail("r1@example.test"))).toMatchObject({
      ok: false,
      stage: "mail",
      responseCode: 530,
    });
  });

  it("does not reuse a connection after a 421", async () => {
    smtp.mailFromReply = { code: 421, message: "4.3.2 Service shutting down" };
    const sut = mailer();
    expect(await sut.send(mail("r1@example.test"))).toMatchObject({
      ok: false,
      stage: "mail",
      responseCode: 421,
    });

    smtp.mailFromReply = null;
    expect(await sut.send(mail("r1@example.test"))).toMatchObject({ ok: true });
    expect(smtp.connections).toBe(2);
  });

  it("reports a refused connection at the connect stage", async () => {
    await smtp.refuse();

    const outcome = await mailer().send(mail("r1@example.test"));
    expect(outcome).toMatchObject({ ok: false, stage: "connect", dataStarted: false });
    expect(outcome.responseCode).toBeUndefined();
    expect(outcome.message).toContain("ECONNREFUSED");
  });

  it("reports a timeout waiting for the RCPT reply at the rcpt stage", async () => {
    smtp.delayMs = 1_000;
    const outcome = await mailer({ timeoutMs: 300 }).send(mail("r1@example.test"));
    expect(outcome).toMatchObject({ ok: false, stage: "rcpt", errorCode: "ETIMEDOUT", dataStarted: false });
  });

  it("drops a connection that said 452 4.5.3 and sends the next message on a new one", async () => {
    smtp.tooManyRecipientsAfter = 2;
    const sut = mailer();
    expect(await sut.send(mail("r1@example.test"))).toMatchObject({ ok: true });
    expect(await sut.send(mail("r2@example.test"))).toMatchObject({ ok: true });

    const third = await sut.send(mail("r3@example.test"));
    expect(third).toMatchObject({ ok: false, stage: "rcpt", responseCode: 452 });
    expect(third.response).toBe("452 4.5.3 Too many recipients");
    expect(smtp.connections).toBe(1);

    expect(await sut.send(mail("r3@example.test"))).toMatchObject({ ok: true });
    expect(smtp.connections).toBe(2);
    expect(smtp.counts()).toEqual(
      new Map([
        ["r1@example.test", 1],
        ["r2@example.test", 1],
        ["r3@example.test", 1],
      ]),
    );
  });

  it("says the body had started when the connection drops mid-DATA, and sends others on a new connection", async () => {
    smtp.dropDataContaining.add("CUT-HERE");
    const sut = mailer();

    for (let i = 0; i < 2; i++) {
      const outcome = await sut.send(mail("r1@example.test", "Please CUT-HERE"));
      expect(outcome).toMatchObject({ ok: false, stage: "data", dataStarted: true });
      expect(outcome.responseCode).toBeUndefined();
    }
    expect(await sut.send(mail("r2@example.test"))).toMatchObject({ ok: true, dataStarted: false });
    expect(smtp.received.map((m) => m.to)).toEqual([["r2@example.test"]]);
    expect(smtp.connections).toBe(3);
  });

  it("returns replies with NUL and other control characters as they came", async () => {
    smtp.rawReplies.set("nul@example.test", {
      at: "rcpt",
      line: "550 5.1.1 no\u0000such\u0007user\u001b[0m",
    });
    smtp.rawReplies.set("late@example.test", { at: "data", line: "451 4.3.0 queue\u0000full\u0008" });
    const sut = mailer();

    const rcpt = await sut.send(mail("nul@example.test"));
    expect(rcpt).toMatchObject({ ok: false, stage: "rcpt", responseCode: 550 });
    expect(rcpt.response).toContain("\u0000");
    const data = await sut.send(mail("late@example.test"));
    expect(data).toMatchObject({ ok: false, stage: "data", responseCode: 451, dataStarted: false });
    expect(data.response).toContain("\u0000");
    expect(await sut.send(mail("r1@example.test"))).toMatchObject({ ok: true });
  });

  it("discards an idle connection the server closed and sends on a new one", async () => {
    const sut = mailer();
    expect(await sut.send(mail("r1@example.test"))).toMatchObject({ ok: true });
    await smtp.refuse();
    await smtp.accept();
    await eventually(() => smtp.openConnections === 0);

    expect(await sut.send(mail("r2@example.test"))).toMatchObject({ ok: true });
    expect(smtp.connections).toBe(2);
  });

  it("sends again on a new connection when a reused one is cut before the server answered anything", async () => {
    const sut = mailer();
    expect(await sut.send(mail("r1@example.test"))).toMatchObject({ ok: true });
    smtp.dropAtMailFrom = 1;

    expect(await sut.send(mail("r2@example.test"))).toMatchObject({ ok: true });
    expect(smtp.connections).toBe(2);
    expect(smtp.counts().get("r2@example.test")).toBe(1);
  });

  it("reports a new connection cut before MAIL FROM was answered at the mail stage", async () => {
    smtp.dropAtMailFrom = 1;
    const outcome = await mailer().send(mail("r1@example.test"));
    expect(outcome).toMatchObject({ ok: false, stage: "mail", dataStarted: false });
    expect(outcome.responseCode).toBeUndefined();
    expect(smtp.connections).toBe(1);
  });

  it("replaces a connection after maxMessages messages", async () => {
    const sut = mailer({ maxMessages: 2 });
    for (let i = 1; i <= 3; i++)
      expect(await sut.send(mail(`r${i}@example.test`))).toMatchObject({ ok: true });
    expect(smtp.connections).toBe(2);
  });

  it("returns a failure, without throwing, for a send after close()", async () => {
    const sut = mailer();
    expect(await sut.send(mail("r1@example.test"))).toMatchObject({ ok: true });
    await sut.close();

    const outcome = await sut.send(mail("r2@example.test"));
    expect(outcome).toMatchObject({ ok: false, stage: "connect" });
    expect(outcome.message).toMatch(/closed/);
    await eventually(() => smtp.openConnections === 0);
  });

  it("never opens more connections than its concurrency", async () => {
    smtp.delayMs = 50;
    const sut = mailer({ concurrency: 4 });

    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => sut.send(mail(`r${i}@example.test`))),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(smtp.peakConnections).toBe(4);
    expect(smtp.connections).toBe(4);
    expect(smtp.received).toHaveLength(8);
  });
});
