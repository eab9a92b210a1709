import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { SuppressionImportService } from "../../src/suppression/suppression.import.js";
import { SuppressionService } from "../../src/suppression/suppression.service.js";
import { WebhookDispatcher } from "../../src/webhooks/webhooks.dispatcher.js";
import { WebhooksService } from "../../src/webhooks/webhooks.service.js";
import { WebhookStore } from "../../src/webhooks/webhooks.store.js";
import { eventually } from "../delivery/support.js";
import { testDatabase } from "../helpers/db.js";
import { createUser } from "../helpers/fixtures.js";
import { eventsOf, TestReceiver } from "./support.js";

describe("recipient.suppressed events of a suppression import", () => {
  let database: Database;
  let receiver: TestReceiver;
  let dispatcher: WebhookDispatcher | undefined;

  beforeEach(async () => {
    database = await testDatabase();
    receiver = await TestReceiver.start();
  });
  afterEach(async () => {
    await dispatcher?.stop();
    await receiver.close();
    await database.close();
  });

  it("queues one per added address in the batch's transaction, like a single add, and sends them batched (≤ 100 a request)", async () => {
    const user = await createUser(database.db);
    const actor = { id: user.id, role: "user" as const };
    await new WebhooksService(database, { allowPrivate: true }).create(actor, {
      url: receiver.url(),
      events: ["recipient.suppressed"],
    });
    const single = new SuppressionService(database);
    await single.add(actor, { email: "known@example.com", reason: "manual" }, "manual");

    const lines = Array.from({ length: 600 }, (_, i) => `a${i}@example.com,complaint`);
    const csv = ["email,reason", ...lines, "KNOWN@example.com,manual", "a0@example.com", "not an email"].join(
      "\n",
    );
    const summary = await new SuppressionImportService(database).importCsv(actor, [csv]);
    expect(summary).toMatchObject({ added: 600, existing: 2, invalid: 1 });

    const queued = await database.db
      .selectFrom("webhook_events")
      .select(["type", "payload"])
      .orderBy("id")
      .execute();
    expect(queued).toHaveLength(601);
    expect(new Set(queued.map((e) => e.type))).toEqual(new Set(["recipient.suppressed"]));
    const imported = queued.slice(1).map((e) => JSON.parse(e.payload).data);
    expect(imported[0]).toMatchObject({ email: "a0@example.com", reason: "complaint", source: "import" });
    expect(new Set(imported.map((d) => d.email)).size).toBe(600);
    // The same payload shape as the single add's.
    expect(Object.keys(imported[0]).sort()).toEqual(Object.keys(JSON.parse(queued[0]!.payload).data).sort());

    dispatcher = new WebhookDispatcher(new WebhookStore(database), {
      config: { allowPrivate: true, pollMs: 10, timeoutMs: 5_000 },
    });
    dispatcher.start();
    await eventually(() => receiver.accepted().flatMap(eventsOf).length === 601);
    const bodies = receiver.accepted();
    // 601 events in 7 requests: six batches of 100, then the last one alone (sent as itself).
    expect(bodies.map((b) => [b.type, eventsOf(b).length])).toEqual([
      ...Array.from({ length: 6 }, () => ["batch", 100]),
      ["recipient.suppressed", 1],
    ]);
    expect(bodies.flatMap(eventsOf).map((e) => (e.data as { email: string }).email)).toEqual([
      "known@example.com",
      ...Array.from({ length: 600 }, (_, i) => `a${i}@example.com`),
    ]);
  });
});
