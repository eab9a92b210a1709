/**
 * Unsubscribing by link, without login: the token names a delivery (UnsubscribeTokens). A link works
 * once: the unsubscribe is recorded (unsubscribes, unique per delivery) and the address suppressed for the
 * mailing's owner, in one transaction. A wrong or used link changes nothing.
 */

import type { Database } from "../db/database.js";
import type { SuppressionSource } from "../db/schema.js";
import { normalizeEmail } from "../shared/fields.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { recipientSuppressed, recipientUnsubscribed } from "../webhooks/webhooks.events.js";
import { SuppressionRepository, type UnsubscribeTarget } from "./suppression.repository.js";
import type { UnsubscribeTokens } from "./unsubscribe-token.js";

export type UnsubscribeState =
  | { state: "invalid" }
  | { state: "used"; mailingName: string }
  | { state: "ready"; mailingName: string }
  | { state: "done"; mailingName: string };

export class UnsubscribeService {
  private readonly repo: SuppressionRepository;

  constructor(
    private readonly database: Database,
    private readonly tokens: UnsubscribeTokens,
    private readonly clock: Clock = systemClock,
  ) {
    this.repo = new SuppressionRepository(database.db);
  }

  /** The token of a delivery's link (what the worker puts in its copy). */
  tokenFor(deliveryId: number): string {
    return this.tokens.tokenFor(deliveryId);
  }

  /** What the link's page says (a GET): never changes anything. */
  async check(token: string): Promise<UnsubscribeState> {
    const target = await this.target(token);
    if (!target) return { state: "invalid" };
    if (await this.repo.unsubscribeUsed(target.deliveryId))
      return { state: "used", mailingName: target.mailingName };
    return { state: "ready", mailingName: target.mailingName };
  }

  async unsubscribe(token: string, source: Extract<SuppressionSource, "one-click" | "page" | "mailto">) {
    const target = await this.target(token);
    if (!target) return { state: "invalid" } as const;
    const now = iso(this.clock.now());
    const recorded = await this.database.db.transaction().execute(async (tx) => {
      const repo = new SuppressionRepository(tx);
      if (!(await repo.recordUnsubscribe(target, source, now))) return false;
      await recipientUnsubscribed(tx, { ...target, source }, this.clock.now());
      // Already suppressed (by hand, say): the existing entry and its reason stay.
      const added = await repo.insert(
        { id: target.ownerId, role: "user" },
        {
          email: target.email,
          email_normalized: normalizeEmail(target.email),
          reason: "unsubscribed",
          source,
          delivery_id: target.deliveryId,
          run_id: target.runId,
          mailing_id: target.mailingId,
          comment: null,
          created_at: now,
        },
      );
      if (added) await recipientSuppressed(tx, added, this.clock.now());
      return true;
    });
    return { state: recorded ? "done" : "used", mailingName: target.mailingName } as const;
  }

  private async target(token: string): Promise<UnsubscribeTarget | undefined> {
    const id = this.tokens.verify(token);
    return id === null ? undefined : this.repo.unsubscribeTarget(id);
  }
}
