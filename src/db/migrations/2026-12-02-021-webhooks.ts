/**
 * Outgoing webhooks: the endpoints users (and admins, installation-wide) register, the queue of events
 * waiting for each endpoint (written in the transaction of the change that causes them: an outbox), and
 * the record of every HTTP attempt. Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export function webhooks(dialect: Dialect) {
  const id = dialect === "postgres" ? "serial" : "integer";
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("webhook_endpoints")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("owner_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        // 1: an admin's endpoint that gets every user's events.
        .addColumn("all_users", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
        // JSON string[] of event types.
        .addColumn("events", "text", (c) => c.notNull())
        .addColumn("secret", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("disabled_reason", "text")
        .addColumn("disabled_at", "text")
        // Head-of-line state: the endpoint's next event waits until next_attempt_at after a failure.
        .addColumn("next_attempt_at", "text")
        .addColumn("failing_since", "text")
        .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
        // The dispatcher that holds the endpoint (one at a time keeps its events in order).
        .addColumn("lease_owner", "text")
        .addColumn("lease_expires_at", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      // Enqueueing looks up an owner's enabled endpoints (and the installation-wide ones).
      await db.schema
        .createIndex("webhook_endpoints_owner_idx")
        .on("webhook_endpoints")
        .columns(["owner_id", "enabled"])
        .execute();

      await db.schema
        .createTable("webhook_events")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("endpoint_id", "integer", (c) =>
          c.notNull().references("webhook_endpoints.id").onDelete("cascade"),
        )
        // The id the receiver sees (evt_…); a resent event keeps it, so receivers can de-duplicate.
        .addColumn("uid", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        // The whole JSON body {id, type, created_at, data}.
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
        .addColumn("tries", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("delivered_at", "text")
        .addCheckConstraint("webhook_events_status_check", sql`status in ('pending', 'delivered', 'failed')`)
        .execute();
      // The dispatcher reads an endpoint's head: its pending events in order.
      await db.schema
        .createIndex("webhook_events_endpoint_status_idx")
        .on("webhook_events")
        .columns(["endpoint_id", "status", "id"])
        .execute();
      // Finding endpoints with anything pending.
      await db.schema
        .createIndex("webhook_events_status_idx")
        .on("webhook_events")
        .columns(["status", "endpoint_id"])
        .execute();

      await db.schema
        .createTable("webhook_attempts")
        .addColumn("id", id, (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("endpoint_id", "integer", (c) =>
          c.notNull().references("webhook_endpoints.id").onDelete("cascade"),
        )
        // The request's id (the event's uid, or bat_… for a batch) and its events (JSON number[]).
        .addColumn("request_id", "text", (c) => c.notNull())
        .addColumn("event_ids", "text", (c) => c.notNull())
        .addColumn("event_count", "integer", (c) => c.notNull())
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("status_code", "integer")
        .addColumn("response_excerpt", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("error", "text")
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .addColumn("attempted_at", "text", (c) => c.notNull())
        .addCheckConstraint(
          "webhook_attempts_outcome_check",
          sql`outcome in ('ok', 'http_error', 'timeout', 'connection', 'refused')`,
        )
        .execute();
      // The endpoint page: its latest attempts.
      await db.schema
        .createIndex("webhook_attempts_endpoint_idx")
        .on("webhook_attempts")
        .columns(["endpoint_id", "id"])
        .execute();
    },
  };
}
