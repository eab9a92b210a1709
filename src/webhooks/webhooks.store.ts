/**
 * The dispatcher's side of the database. An endpoint is claimed as a whole (one dispatcher at a time holds
 * it, under a lease), which keeps its events in order: PostgreSQL selects due endpoints FOR UPDATE SKIP
 * LOCKED and leases them in one transaction; SQLite leases them with one compare-and-set UPDATE … RETURNING
 * (the claim pattern of delivery/delivery.store.ts).
 */
import { sql } from "kysely";
import type { Database, Db } from "../db/database.js";
import type { Dialect } from "../db/migrations/index.js";
import type { WebhookEndpoint, WebhookEvent } from "../db/schema.js";
import type { PostResult } from "./webhooks.http.js";

export interface RetryPolicy {
  /** First wait after a failure; doubled after each further failure, up to maxDelayMs. */
  baseMs: number;
  maxDelayMs: number;
  /** An event still failing this long after it was queued is given up. */
  maxAgeMs: number;
  /** An endpoint failing continuously this long is disabled. */
  disableAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  baseMs: 10_000,
  maxDelayMs: 60 * 60_000,
  maxAgeMs: 24 * 3_600_000,
  disableAfterMs: 3 * 24 * 3_600_000,
};

export type ClaimedEndpoint = Pick<WebhookEndpoint, "id" | "url" | "secret" | "failing_since" | "failures">;

export class WebhookStore {
  private readonly db: Db;
  private readonly dialect: Dialect;

  constructor(database: Pick<Database, "db" | "dialect">) {
    this.db = database.db;
    this.dialect = database.dialect;
  }

  async claimEndpoints(
    workerId: string,
    limit: number,
    now: Date,
    leaseUntil: Date,
  ): Promise<ClaimedEndpoint[]> {
    const nowIso = now.toISOString();
    const lease = { lease_owner: workerId, lease_expires_at: leaseUntil.toISOString() };
    const columns = ["id", "url", "secret", "failing_since", "failures"] as const;
    if (this.dialect === "postgres") {
      return this.db.transaction().execute(async (tx) => {
        const rows = await tx
          .selectFrom("webhook_endpoints")
          .select("id")
          .where("enabled", "=", 1)
          .where((eb) => eb.or([eb("next_attempt_at", "is", null), eb("next_attempt_at", "<=", nowIso)]))
          .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_expires_at", "<", nowIso)]))
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom("webhook_events")
                .select("webhook_events.id")
                .whereRef("webhook_events.endpoint_id", "=", "webhook_endpoints.id")
                .where("webhook_events.status", "=", "pending"),
            ),
          )
          .orderBy("id")
          .limit(limit)
          .forUpdate()
          .skipLocked()
          .execute();
        if (rows.length === 0) return [];
        return tx
          .updateTable("webhook_endpoints")
          .set(lease)
          .where(
            "id",
            "in",
            rows.map((r) => r.id),
          )
          .returning(columns)
          .execute();
      });
    }
    return this.db
      .updateTable("webhook_endpoints")
      .set(lease)
      .where("id", "in", (eb) =>
        eb
          .selectFrom("webhook_endpoints as e")
          .select("e.id")
          .where("e.enabled", "=", 1)
          .where((w) => w.or([w("e.next_attempt_at", "is", null), w("e.next_attempt_at", "<=", nowIso)]))
          .where((w) => w.or([w("e.lease_owner", "is", null), w("e.lease_expires_at", "<", nowIso)]))
          .where((w) =>
            w.exists(
              w
                .selectFrom("webhook_events")
                .select("webhook_events.id")
                .whereRef("webhook_events.endpoint_id", "=", "e.id")
                .where("webhook_events.status", "=", "pending"),
            ),
          )
          .orderBy("e.id")
          .limit(limit),
      )
      .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_expires_at", "<", nowIso)]))
      .returning(columns)
      .execute();
  }

  /** The endpoint's oldest pending events (webhook_events_endpoint_status_idx). */
  head(
    endpointId: number,
    limit: number,
  ): Promise<Pick<WebhookEvent, "id" | "uid" | "type" | "payload" | "created_at">[]> {
    return this.db
      .selectFrom("webhook_events")
      .select(["id", "uid", "type", "payload", "created_at"])
      .where("endpoint_id", "=", endpointId)
      .where("status", "=", "pending")
      .orderBy("id")
      .limit(limit)
      .execute();
  }

  /**
   * Records one request's result in one transaction: its attempt; on success its events delivered and the
   * endpoint's failure streak ended; on failure the endpoint's next try pushed back (exponential backoff),
   * events older than maxAgeMs given up, and the endpoint disabled once it has failed for disableAfterMs.
   * Returns whether the endpoint was disabled. Only a dispatcher still holding the endpoint writes.
   */
  async recordAttempt(input: {
    workerId: string;
    endpoint: ClaimedEndpoint;
    requestId: string;
    events: { id: number; created_at: string }[];
    result: PostResult;
    now: Date;
    policy: RetryPolicy;
  }): Promise<{ disabled: boolean }> {
    const { endpoint, events, result, now, policy } = input;
    const nowIso = now.toISOString();
    const ids = events.map((e) => e.id);
    return this.db.transaction().execute(async (tx) => {
      // Taken back meanwhile (its lease ran out and another dispatcher holds it): not ours to record; the
      // events stay pending and the holder sends them (at least once, never lost).
      const held = await tx
        .updateTable("webhook_endpoints")
        .set({ updated_at: nowIso })
        .where("id", "=", endpoint.id)
        .where("lease_owner", "=", input.workerId)
        .returning("id")
        .executeTakeFirst();
      if (!held) return { disabled: false };
      await tx
        .insertInto("webhook_attempts")
        .values({
          endpoint_id: endpoint.id,
          request_id: input.requestId,
          event_ids: JSON.stringify(ids),
          event_count: ids.length,
          outcome: result.outcome,
          status_code: result.statusCode,
          response_excerpt: result.excerpt.replaceAll(String.fromCharCode(0), ""),
          error: result.error,
          duration_ms: result.durationMs,
          attempted_at: nowIso,
        })
        .execute();
      const tried = { tries: sql<number>`tries + 1` };
      if (result.outcome === "ok") {
        await tx
          .updateTable("webhook_events")
          .set({ ...tried, status: "delivered", delivered_at: nowIso })
          .where("id", "in", ids)
          .execute();
        await tx
          .updateTable("webhook_endpoints")
          .set({ failures: 0, failing_since: null, next_attempt_at: null, updated_at: nowIso })
          .where("id", "=", endpoint.id)
          .execute();
        return { disabled: false };
      }
      const giveUpBefore = new Date(now.getTime() - policy.maxAgeMs).toISOString();
      await tx.updateTable("webhook_events").set(tried).where("id", "in", ids).execute();
      await tx
        .updateTable("webhook_events")
        .set({ status: "failed" })
        .where("id", "in", ids)
        .where("created_at", "<", giveUpBefore)
        .execute();
      const failures = endpoint.failures + 1;
      const failingSince = endpoint.failing_since ?? nowIso;
      const delay = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.min(30, failures - 1));
      const disabled = now.getTime() - Date.parse(failingSince) >= policy.disableAfterMs;
      await tx
        .updateTable("webhook_endpoints")
        .set({
          failures,
          failing_since: failingSince,
          next_attempt_at: new Date(now.getTime() + delay).toISOString(),
          updated_at: nowIso,
          ...(disabled
            ? {
                enabled: 0,
                disabled_at: nowIso,
                disabled_reason: `Disabled automatically: every request failed since ${failingSince}.`,
              }
            : {}),
        })
        .where("id", "=", endpoint.id)
        .execute();
      return { disabled };
    });
  }

  async release(workerId: string, endpointId: number): Promise<void> {
    await this.db
      .updateTable("webhook_endpoints")
      .set({ lease_owner: null, lease_expires_at: null })
      .where("id", "=", endpointId)
      .where("lease_owner", "=", workerId)
      .execute();
  }
}
