/**
 * The account-mail sender: a small loop, started by the delivery runtime next to the worker, that sends
 * the queued account emails (confirmation, reset, notices) through the same Mailer as mailings, so without
 * SMTP_URL they land in the local outbox. Temporary failures are retried with backoff; permanent ones
 * (5xx) and those past their tries or age are marked failed. Web requests only ever queue.
 */

import MailComposer from "nodemailer/lib/mail-composer";
import type { Executor } from "../db/database.js";
import type { AccountEmail } from "../db/schema.js";
import { decideRetry, type RetryPolicy } from "../delivery/backoff.js";
import { classify } from "../delivery/classify.js";
import { envelopeAddress, prepareMessage } from "../delivery/message.js";
import type { Mailer } from "../delivery/ports.js";
import { type DeliveryLogger, silentLogger } from "../delivery/worker.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { AccountEmailsRepository } from "./account-emails.repository.js";

export interface AccountMailSenderDeps {
  db: Executor;
  mailer: Mailer;
  /** The From header (SMTP_FROM). */
  from: string;
  policy: RetryPolicy;
  clock?: Clock;
  logger?: DeliveryLogger;
  /** How long an idle sender waits before looking for queued mail again. */
  pollMs?: number;
  /** How long a claimed row stays away from other senders (the crash-recovery delay). */
  leaseMs?: number;
  random?: () => number;
}

const BATCH = 20;

export class AccountMailSender {
  private readonly repo: AccountEmailsRepository;
  private readonly clock: Clock;
  private readonly logger: DeliveryLogger;
  private stopped = true;
  private loopDone: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;

  constructor(private readonly deps: AccountMailSenderDeps) {
    this.repo = new AccountEmailsRepository(deps.db);
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopDone = this.loop();
  }

  /** Stops looking for mail and waits for the message in flight (bounded by the mailer's timeouts). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loopDone;
    this.loopDone = null;
  }

  /** Sends what is due now; returns how many rows it handled. */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    const due = await this.repo.due(iso(now), BATCH);
    let handled = 0;
    for (const row of due) {
      if (this.stopped && this.loopDone) break;
      const leaseUntil = new Date(now.getTime() + (this.deps.leaseMs ?? 5 * 60_000));
      const claimed = await this.repo.claim(row.id, row.next_attempt_at, iso(leaseUntil));
      if (!claimed) continue;
      await this.sendOne(claimed);
      handled += 1;
    }
    return handled;
  }

  private async sendOne(mail: AccountEmail): Promise<void> {
    const { mailer, policy } = this.deps;
    const from = mail.from_header ?? this.deps.from;
    const startedAt = this.clock.now();
    const envelope = envelopeAddress(from);
    const domain = envelope.split("@")[1] || "localhost";
    const raw = await composeAccountEmail({
      from,
      to: mail.to_address,
      subject: mail.subject,
      body: mail.body,
      html: mail.html,
      date: startedAt,
      messageId: `postpilot.account.${mail.id}@${domain}`,
    });
    const outcome = await mailer.send({
      deliveryId: null,
      from: envelope,
      fromHeader: from,
      to: mail.to_address,
      subject: mail.subject,
      raw,
    });
    const result = classify(outcome);
    const now = this.clock.now();
    const tries = mail.tries + (result.usesTry ? 1 : 0);
    if (result.verdict === "sent") {
      await this.repo.markSent(mail.id, mail.tries + 1, iso(now));
      this.logger.info({ accountEmailId: mail.id }, "account email sent");
      return;
    }
    if (result.verdict === "permanent") {
      await this.repo.markFailed(mail.id, tries, result.text);
      this.logger.warn({ accountEmailId: mail.id, reply: result.text }, "account email failed");
      return;
    }
    const decision = decideRetry(policy, {
      tries,
      createdAt: new Date(mail.created_at),
      now,
      usesTry: result.usesTry,
      random: (this.deps.random ?? Math.random)(),
    });
    if (decision.retry) {
      // A server that is down is not asked again at once (the delivery worker's breaker does not cover this loop).
      const at = result.usesTry ? decision.at : new Date(now.getTime() + policy.baseMs);
      await this.repo.retryAt(mail.id, tries, iso(at), result.text);
    } else {
      await this.repo.markFailed(mail.id, tries, `${result.text} (${decision.reason})`);
      this.logger.warn({ accountEmailId: mail.id, reply: result.text }, "account email given up");
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let handled = 0;
      try {
        handled = await this.runOnce();
      } catch (err) {
        this.logger.error({ err }, "account mail sender failed");
      }
      if (handled === 0 && !this.stopped) await this.sleep(this.deps.pollMs ?? 1_000);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}

const PLAIN = /^[\x20-\x7e\r\n]*$/;

/**
 * The raw message. Plain ASCII with lines under SMTP's limit goes as 7bit, so the link stays one readable,
 * copyable line (in the local outbox too); anything else is encoded by nodemailer (quoted-printable).
 */
export async function composeAccountEmail(mail: {
  from: string;
  to: string;
  subject: string;
  body: string;
  /** With an HTML part (test sends), multipart/alternative built by nodemailer. */
  html?: string | null;
  date: Date;
  messageId: string;
}): Promise<Buffer> {
  if (mail.html) {
    const composer = new MailComposer({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.body,
      html: mail.html,
      date: mail.date,
      messageId: `<${mail.messageId}>`,
    });
    return composer.compile().build();
  }
  const body = mail.body.replace(/\r?\n/g, "\r\n");
  const headerValues = [mail.from, mail.to, mail.subject, mail.messageId];
  const plain =
    PLAIN.test(body) &&
    body.split("\r\n").every((line) => line.length <= 900) &&
    headerValues.every((v) => PLAIN.test(v) && !/[\r\n]/.test(v) && v.length <= 900);
  if (!plain) {
    const prepared = await prepareMessage({
      from: mail.from,
      subject: mail.subject,
      body: mail.body,
      date: mail.date,
    });
    return prepared.forRecipient(mail.to, mail.messageId);
  }
  const headers = [
    `From: ${mail.from}`,
    `To: ${mail.to}`,
    `Subject: ${mail.subject}`,
    `Date: ${mail.date.toUTCString()}`,
    `Message-ID: <${mail.messageId}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "Content-Transfer-Encoding: 7bit",
  ];
  return Buffer.from(`${headers.join("\r\n")}\r\n\r\n${body}\r\n`, "ascii");
}
