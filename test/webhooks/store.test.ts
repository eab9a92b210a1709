import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { enqueueEvents } from "../../src/webhooks/webhooks.outbox.js";
import { WebhooksService } from "../../src/webhooks/webhooks.service.js";
import { DEFAULT_RETRY, WebhookStore } from "../../src/webhooks/webhooks.store.js";
import { testDatabase } from "../helpers/db.js";
import { createUser } from "../helpers/fixtures.js";

describe(WebhookStore.name, () => {
  let database: Database;
  beforeEach(async () => {
    database = await testDatabase();
  });
  afterEach(async () => {
    await database.close();
  });

  it("lets one dispatcher hold an endpoint at a time, and records only the holder's attempts", async () => {
    const user = await createUser(database.db);
    await new WebhooksService(database, { allowPrivate: false }).create(
      { id: user.id, role: "user" },
      { url: "https://93.184.216.34/x", events: ["run.started"] },
    );
    await enqueueEvents(database.db, "run.started", [{ ownerId: user.id, data: {} }], new Date());
    const sut = new WebhookStore(database);
    const now = new Date();
    const lease = new Date(now.getTime() + 60_000);
    const [claimed] = await sut.claimEndpoints("a", 5, now, lease);
    expect(claimed).toBeDefined();
    expect(await sut.claimEndpoints("b", 5, now, lease)).toEqual([]);

    const [event] = await sut.head(claimed!.id, 100);
    const ok = { outcome: "ok" as const, statusCode: 200, excerpt: "", error: null, durationMs: 1 };
    const input = {
      endpoint: claimed!,
      requestId: event!.uid,
      events: [event!],
      result: ok,
      now,
      policy: DEFAULT_RETRY,
    };
    await sut.recordAttempt({ ...input, workerId: "b" });
    expect(await database.db.selectFrom("webhook_attempts").selectAll().execute()).toHaveLength(0);
    await sut.recordAttempt({ ...input, workerId: "a" });
    expect(await database.db.selectFrom("webhook_attempts").selectAll().execute()).toHaveLength(1);
    expect(await sut.head(claimed!.id, 100)).toEqual([]);

    await sut.release("a", claimed!.id);
    // Nothing pending any more: nothing to claim.
    expect(await sut.claimEndpoints("b", 5, now, lease)).toEqual([]);
  });
});
