/** SQL for the account-mail queue: web requests add rows, the sender loop claims and records them. */
import type { Executor } from "../db/database.js";
import type { AccountEmail } from "../db/schema.js";

export interface QueuedEmail {
  userId: number | null;
  to: string;
  subject: string;
  body: string;
  /** An HTML part beside the text (test sends). */
  html?: string | null;
  /** The From header; default SMTP_FROM. */
  fromHeader?: string | null;
  /** "test" for test sends (their rate limit counts them). */
  kind?: string | null;
}

export class AccountEmailsRepository {
  constructor(private readonly db: Executor) {}

  async enqueue(mail: QueuedEmail, now: string): Promise<void> {
    await this.db
      .insertInto("account_emails")
      .values({
        user_id: mail.userId,
        to_address: mail.to,
        subject: mail.subject,
        body: mail.body,
        html: mail.html ?? null,
        from_header: mail.fromHeader ?? null,
        kind: mail.kind ?? null,
        next_attempt_at: now,
        last_error: null,
        created_at: now,
        sent_at: null,
      })
      .execute();
  }

  due(now: string, limit: number): Promise<Pick<AccountEmail, "id" | "next_attempt_at">[]> {
    return this.db
      .selectFrom("account_emails")
      .select(["id", "next_attempt_at"])
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", now)
      .orderBy("next_attempt_at")
      .limit(limit)
      .execute();
  }

  /**
   * Claims one due row by moving its next attempt to `leaseUntil` (compare-and-set on the value read), so
   * two senders never send the same row, and a sender that dies leaves it due again when the lease ends.
   */
  claim(id: number, seenNextAttemptAt: string, leaseUntil: string): Promise<AccountEmail | undefined> {
    return this.db
      .updateTable("account_emails")
      .set({ next_attempt_at: leaseUntil })
      .where("id", "=", id)
      .where("status", "=", "pending")
      .where("next_attempt_at", "=", seenNextAttemptAt)
      .returningAll()
      .executeTakeFirst();
  }

  /** Sent: the body is replaced, so a link's token does not stay readable in the queue. */
  async markSent(id: number, tries: number, now: string): Promise<void> {
    await this.db
      .updateTable("account_emails")
      .set({ status: "sent", tries, sent_at: now, last_error: null, body: "(sent; body removed)" })
      .where("id", "=", id)
      .execute();
  }

  async retryAt(id: number, tries: number, at: string, error: string): Promise<void> {
    await this.db
      .updateTable("account_emails")
      .set({ tries, next_attempt_at: at, last_error: error })
      .where("id", "=", id)
      .execute();
  }

  async markFailed(id: number, tries: number, error: string): Promise<void> {
    await this.db
      .updateTable("account_emails")
      .set({ status: "failed", tries, last_error: error, body: "(failed; body removed)" })
      .where("id", "=", id)
      .execute();
  }
}
