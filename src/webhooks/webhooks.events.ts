/**
 * The events features other than the engine queue in their own transactions (suppression/, bounces/,
 * signup/): each a thin wrapper of enqueueEvents with the event's data, so every payload of a type is the
 * same wherever it is made (openapi's `webhooks` describes them).
 */
import type { Executor } from "../db/database.js";
import type { Suppression } from "../db/schema.js";
import { enqueueEvents } from "./webhooks.outbox.js";

export function recipientSuppressed(tx: Executor, s: Suppression, now: Date): Promise<number> {
  return recipientsSuppressed(tx, [s], now);
}

/** Many suppressions added at once (an import's batch): one endpoint look-up, the same payload each. */
export function recipientsSuppressed(tx: Executor, added: Suppression[], now: Date): Promise<number> {
  return enqueueEvents(
    tx,
    "recipient.suppressed",
    added.map((s) => ({
      ownerId: s.owner_id,
      data: {
        email: s.email,
        reason: s.reason,
        source: s.source,
        delivery_id: s.delivery_id,
        mailing_id: s.mailing_id,
        at: s.created_at,
      },
    })),
    now,
  );
}

export function recipientUnsubscribed(
  tx: Executor,
  u: { ownerId: number; email: string; deliveryId: number; runId: number; mailingId: number; source: string },
  now: Date,
): Promise<number> {
  return enqueueEvents(
    tx,
    "recipient.unsubscribed",
    [
      {
        ownerId: u.ownerId,
        data: {
          email: u.email,
          source: u.source,
          delivery_id: u.deliveryId,
          run_id: u.runId,
          mailing_id: u.mailingId,
          at: now.toISOString(),
        },
      },
    ],
    now,
  );
}

export function deliveryBounced(
  tx: Executor,
  b: { ownerId: number; email: string; deliveryId: number; runId: number; mailingId: number },
  bounce: { type: string; status: string | null; text: string | null },
  now: Date,
): Promise<number> {
  return enqueueEvents(
    tx,
    "delivery.bounced",
    [
      {
        ownerId: b.ownerId,
        data: {
          delivery_id: b.deliveryId,
          run_id: b.runId,
          mailing_id: b.mailingId,
          email: b.email,
          status: "bounced",
          bounce_type: bounce.type,
          enhanced: bounce.status,
          text: bounce.text ?? "",
          at: now.toISOString(),
        },
      },
    ],
    now,
  );
}

export function subscriberConfirmed(
  tx: Executor,
  s: { ownerId: number; email: string; recipientId: number; listId: number },
  now: Date,
): Promise<number> {
  return enqueueEvents(
    tx,
    "subscriber.confirmed",
    [
      {
        ownerId: s.ownerId,
        data: { email: s.email, recipient_id: s.recipientId, list_id: s.listId, at: now.toISOString() },
      },
    ],
    now,
  );
}
