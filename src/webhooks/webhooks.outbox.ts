/**
 * Queues webhook events in the caller's transaction (the outbox pattern): the event exists exactly when the
 * write that causes it commits. One indexed look-up of the owners' enabled endpoints comes first, so a
 * write with no endpoint wanting its event costs that query and nothing more. Each event gets one row per
 * endpoint that wants it; the dispatcher (webhooks.dispatcher.ts) sends them.
 */
import type { Executor, Tx } from "../db/database.js";
import type { Run } from "../db/schema.js";
import type { DoneDelivery, EngineEvents } from "../delivery/ports.js";
import { newUid } from "./signature.js";
import type { WebhookEventType } from "./webhooks.schemas.js";

export interface EventItem {
  ownerId: number;
  data: Record<string, unknown>;
}

/** Queues one event of `type` per item for every enabled endpoint of its owner (or installation-wide). */
export async function enqueueEvents(
  tx: Executor,
  type: WebhookEventType,
  items: EventItem[],
  now: Date,
): Promise<number> {
  if (items.length === 0) return 0;
  const owners = [...new Set(items.map((i) => i.ownerId))];
  // webhook_endpoints_owner_idx (owner_id, enabled); installation-wide endpoints are few.
  const endpoints = await tx
    .selectFrom("webhook_endpoints")
    .select(["id", "owner_id", "all_users", "events"])
    .where("enabled", "=", 1)
    .where((eb) => eb.or([eb("owner_id", "in", owners), eb("all_users", "=", 1)]))
    .execute();
  const wanting = endpoints.filter((e) => (JSON.parse(e.events) as string[]).includes(type));
  if (wanting.length === 0) return 0;
  const createdAt = now.toISOString();
  const rows = items.flatMap((item) =>
    wanting
      .filter((e) => e.all_users === 1 || e.owner_id === item.ownerId)
      .map((e) => {
        const uid = newUid("evt");
        return {
          endpoint_id: e.id,
          uid,
          type,
          payload: JSON.stringify({ id: uid, type, created_at: createdAt, data: item.data }),
          created_at: createdAt,
          delivered_at: null,
        };
      }),
  );
  for (let i = 0; i < rows.length; i += 500)
    await tx
      .insertInto("webhook_events")
      .values(rows.slice(i, i + 500))
      .execute();
  return rows.length;
}

/** The delivery engine's events (the EngineEvents port, wired in delivery/runtime.ts). */
export class WebhookOutbox implements EngineEvents {
  async runStarted(tx: Tx, run: Run, now: Date): Promise<void> {
    const owner = await ownerOfMailing(tx, run.mailing_id);
    if (owner === undefined) return;
    await enqueueEvents(tx, "run.started", [{ ownerId: owner, data: runData(run) }], now);
  }

  async runFinished(tx: Tx, runId: number, now: Date): Promise<void> {
    const run = await tx.selectFrom("runs").selectAll().where("id", "=", runId).executeTakeFirst();
    if (!run) return;
    const owner = await ownerOfMailing(tx, run.mailing_id);
    if (owner === undefined) return;
    await enqueueEvents(tx, "run.finished", [{ ownerId: owner, data: runData(run) }], now);
  }

  async deliveriesDone(tx: Tx, done: DoneDelivery[], now: Date): Promise<void> {
    const runIds = [...new Set(done.map((d) => d.runId))];
    // Cheapest first: no enabled endpoint wanting delivery events at all (the usual case) is one query.
    const any = await tx
      .selectFrom("webhook_endpoints")
      .select("id")
      .where("enabled", "=", 1)
      .where((eb) =>
        eb.or([eb("events", "like", "%delivery.sent%"), eb("events", "like", "%delivery.failed%")]),
      )
      .limit(1)
      .executeTakeFirst();
    if (!any) return;
    const runs = await tx
      .selectFrom("runs")
      .innerJoin("mailings", "mailings.id", "runs.mailing_id")
      .select(["runs.id", "runs.mailing_id", "mailings.owner_id"])
      .where("runs.id", "in", runIds)
      .execute();
    const byRun = new Map(runs.map((r) => [r.id, r]));
    for (const status of ["sent", "failed"] as const) {
      const items = done
        .filter((d) => d.status === status && byRun.has(d.runId))
        .map((d) => {
          const run = byRun.get(d.runId)!;
          return {
            ownerId: run.owner_id,
            data: {
              delivery_id: d.id,
              run_id: d.runId,
              mailing_id: run.mailing_id,
              recipient_id: d.recipientId,
              email: d.email,
              status: d.status,
              code: d.code,
              enhanced: d.enhanced,
              text: d.text,
              at: d.at,
            },
          };
        });
      await enqueueEvents(tx, status === "sent" ? "delivery.sent" : "delivery.failed", items, now);
    }
  }
}

async function ownerOfMailing(tx: Executor, mailingId: number): Promise<number | undefined> {
  const row = await tx
    .selectFrom("mailings")
    .select("owner_id")
    .where("id", "=", mailingId)
    .executeTakeFirst();
  return row?.owner_id;
}

function runData(run: Run) {
  return {
    run_id: run.id,
    mailing_id: run.mailing_id,
    trigger: run.trigger,
    status: run.status,
    total_count: run.total_count,
    sent_count: run.sent_count,
    failed_count: run.failed_count,
    started_at: run.started_at,
    finished_at: run.finished_at,
  };
}
