/**
 * Webhook endpoints, their events and attempts, as their owner sees them. Every query takes the acting
 * user: an endpoint is its owner's (admins see every one, as they see every user's data on the web).
 */
import type { Executor } from "../db/database.js";
import type { WebhookAttempt, WebhookEndpoint, WebhookEvent } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";

export class WebhooksRepository {
  constructor(private readonly db: Executor) {}

  list(actor: Actor): Promise<WebhookEndpoint[]> {
    return this.db
      .selectFrom("webhook_endpoints")
      .selectAll()
      .$if(actor.role !== "admin", (qb) => qb.where("owner_id", "=", actor.id))
      .orderBy("id")
      .limit(200)
      .execute();
  }

  /**
   * The API's keyset page of endpoints in id order (an admin's: everyone's, over the primary key; others'
   * over webhook_endpoints_owner_id_idx (owner_id, id), migration 030), with how many there are.
   */
  async listKeyset(
    actor: Actor,
    dir: "asc" | "desc",
    afterId: number | null,
    limit: number,
  ): Promise<{ items: WebhookEndpoint[]; total: number }> {
    const base = this.db
      .selectFrom("webhook_endpoints")
      .$if(actor.role !== "admin", (qb) => qb.where("owner_id", "=", actor.id));
    const [items, total] = await Promise.all([
      base
        .selectAll()
        .$if(afterId !== null, (qb) => qb.where("id", dir === "asc" ? ">" : "<", afterId!))
        .orderBy("id", dir)
        .limit(limit + 1)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }

  /** An endpoint's requests in id order, over webhook_attempts_endpoint_idx (endpoint_id, id). */
  async attemptsKeyset(
    endpointId: number,
    dir: "asc" | "desc",
    afterId: number | null,
    limit: number,
  ): Promise<{ items: WebhookAttempt[]; total: number }> {
    const base = this.db.selectFrom("webhook_attempts").where("endpoint_id", "=", endpointId);
    const [items, total] = await Promise.all([
      base
        .selectAll()
        .$if(afterId !== null, (qb) => qb.where("id", dir === "asc" ? ">" : "<", afterId!))
        .orderBy("id", dir)
        .limit(limit + 1)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }

  find(actor: Actor, id: number): Promise<WebhookEndpoint | undefined> {
    return this.db
      .selectFrom("webhook_endpoints")
      .selectAll()
      .where("id", "=", id)
      .$if(actor.role !== "admin", (qb) => qb.where("owner_id", "=", actor.id))
      .executeTakeFirst();
  }

  insert(
    actor: Actor,
    row: {
      url: string;
      description: string;
      events: string[];
      secret: string;
      allUsers: boolean;
      now: string;
    },
  ): Promise<WebhookEndpoint> {
    return this.db
      .insertInto("webhook_endpoints")
      .values({
        owner_id: actor.id,
        all_users: row.allUsers ? 1 : 0,
        url: row.url,
        description: row.description,
        events: JSON.stringify(row.events),
        secret: row.secret,
        disabled_reason: null,
        disabled_at: null,
        next_attempt_at: null,
        failing_since: null,
        lease_owner: null,
        lease_expires_at: null,
        created_at: row.now,
        updated_at: row.now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  setEnabled(actor: Actor, id: number, enabled: boolean, now: string): Promise<WebhookEndpoint | undefined> {
    return this.update(actor, id, { enabled }, now);
  }

  /** Changes the fields given; `enabled` as setEnabled (on again: no failure streak, no wait). */
  update(
    actor: Actor,
    id: number,
    changes: { url?: string; description?: string; events?: string[]; enabled?: boolean },
    now: string,
  ): Promise<WebhookEndpoint | undefined> {
    const { enabled } = changes;
    return this.db
      .updateTable("webhook_endpoints")
      .set({
        updated_at: now,
        ...(changes.url !== undefined ? { url: changes.url } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.events !== undefined ? { events: JSON.stringify(changes.events) } : {}),
        ...(enabled === undefined
          ? {}
          : enabled
            ? {
                enabled: 1,
                disabled_at: null,
                disabled_reason: null,
                failing_since: null,
                failures: 0,
                next_attempt_at: null,
              }
            : { enabled: 0, disabled_at: now, disabled_reason: null }),
      })
      .where("id", "=", id)
      .$if(actor.role !== "admin", (qb) => qb.where("owner_id", "=", actor.id))
      .returningAll()
      .executeTakeFirst();
  }

  async delete(actor: Actor, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom("webhook_endpoints")
      .where("id", "=", id)
      .$if(actor.role !== "admin", (qb) => qb.where("owner_id", "=", actor.id))
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The endpoint's latest events (webhook_events_endpoint_status_idx is by status; the primary key orders). */
  recentEvents(endpointId: number, limit: number): Promise<WebhookEvent[]> {
    return this.db
      .selectFrom("webhook_events")
      .selectAll()
      .where("endpoint_id", "=", endpointId)
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
  }

  /** The endpoint's latest attempts (webhook_attempts_endpoint_idx). */
  recentAttempts(endpointId: number, limit: number): Promise<WebhookAttempt[]> {
    return this.db
      .selectFrom("webhook_attempts")
      .selectAll()
      .where("endpoint_id", "=", endpointId)
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
  }

  findEvent(endpointId: number, eventId: number): Promise<WebhookEvent | undefined> {
    return this.db
      .selectFrom("webhook_events")
      .selectAll()
      .where("endpoint_id", "=", endpointId)
      .where("id", "=", eventId)
      .executeTakeFirst();
  }

  /** Queues an event again, with its id and body unchanged (receivers de-duplicate by id). */
  requeue(event: WebhookEvent, now: string): Promise<WebhookEvent> {
    return this.db
      .insertInto("webhook_events")
      .values({
        endpoint_id: event.endpoint_id,
        uid: event.uid,
        type: event.type,
        payload: event.payload,
        created_at: now,
        delivered_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
}
