/**
 * The local outbox, used when SMTP_URL is not set: every message is stored in outbox_messages instead of
 * leaving the machine, and admins read it in the UI.
 */
import type { Executor } from "../db/database.js";
import type { SendOutcome } from "./classify.js";
import type { Mailer, OutgoingMail } from "./ports.js";

export class OutboxMailer implements Mailer {
  readonly kind = "outbox" as const;

  constructor(
    private readonly db: Executor,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(mail: OutgoingMail): Promise<SendOutcome> {
    await mail.beforeTransmit?.();
    try {
      const row = await this.db
        .insertInto("outbox_messages")
        .values({
          delivery_id: mail.deliveryId,
          from_address: mail.fromHeader,
          to_address: mail.to,
          subject: mail.subject,
          raw: mail.raw.toString("utf8"),
          created_at: this.now().toISOString(),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      return {
        ok: true,
        stage: "local",
        relay: "outbox",
        response: `250 2.0.0 Stored in the local outbox as #${row.id}`,
      };
    } catch (error) {
      return {
        ok: false,
        stage: "local",
        relay: "outbox",
        errorCode: "EOUTBOX",
        message: `Local outbox: ${(error as Error).message}`,
      };
    }
  }

  async close(): Promise<void> {}
}
