/**
 * DKIM at the last step: a Mailer that signs each message it is given, then hands it to the real mailer (SMTP
 * or the local outbox, which so stores the signed copy). It sees the finished bytes, so whatever headers the
 * worker or the account-mail sender stamped on a copy (To, Message-ID, List-Unsubscribe…) are covered.
 */
import type { SendOutcome } from "./classify.js";
import type { MessageSigner } from "./dkim.js";
import type { Mailer, OutgoingMail } from "./ports.js";

export class SigningMailer implements Mailer {
  readonly kind: Mailer["kind"];

  constructor(
    private readonly inner: Mailer,
    private readonly sign: MessageSigner,
  ) {
    this.kind = inner.kind;
  }

  send(mail: OutgoingMail): Promise<SendOutcome> {
    let raw: Buffer;
    try {
      raw = this.sign(mail.raw);
    } catch (error) {
      // The key was checked at start-up, so this is the configuration's problem, not the recipient's.
      return Promise.resolve({
        ok: false,
        stage: "local",
        relay: this.inner.kind,
        errorCode: "EDKIM",
        message: `DKIM signing failed: ${(error as Error).message}`,
      });
    }
    return this.inner.send({ ...mail, raw });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  relayStatus() {
    return this.inner.relayStatus?.();
  }
}
