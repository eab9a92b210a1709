import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { ValidationError } from "../../src/shared/errors.js";
import { isPrivateAddress, urlProblem } from "../../src/webhooks/address-guard.js";
import { WebhookDispatcher } from "../../src/webhooks/webhooks.dispatcher.js";
import { enqueueEvents } from "../../src/webhooks/webhooks.outbox.js";
import { WebhooksService } from "../../src/webhooks/webhooks.service.js";
import { WebhookStore } from "../../src/webhooks/webhooks.store.js";
import { eventually } from "../delivery/support.js";
import { testDatabase } from "../helpers/db.js";
import { createUser } from "../helpers/fixtures.js";
import { TestReceiver } from "./support.js";

describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fd00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
  ])("refuses %s", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("allows %s", (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe("urlProblem", () => {
  const resolvesTo = (address: string) => async () => [{ address, family: address.includes(":") ? 6 : 4 }];

  it("refuses a name resolving to a private address, and allows it when private addresses are allowed", async () => {
    expect(await urlProblem("https://hooks.example.com/x", false, resolvesTo("10.0.0.5"))).toMatch(/private/);
    expect(await urlProblem("https://hooks.example.com/x", true, resolvesTo("10.0.0.5"))).toBeNull();
    expect(await urlProblem("https://hooks.example.com/x", false, resolvesTo("93.184.216.34"))).toBeNull();
  });

  it("refuses other schemes and IP literals of loopback", async () => {
    expect(await urlProblem("ftp://example.com/", false)).toMatch(/http/);
    expect(await urlProblem("http://[::1]:8080/", false)).toMatch(/private/);
    expect(await urlProblem("http://127.0.0.1/", false)).toMatch(/private/);
  });
});

describe("loopback webhooks", () => {
  let database: Database;
  let receiver: TestReceiver;

  beforeEach(async () => {
    database = await testDatabase();
    receiver = await TestReceiver.start();
  });

  afterEach(async () => {
    await receiver.close();
    await database.close();
  });

  it("refuses a localhost URL at registration unless WEBHOOK_ALLOW_PRIVATE", async () => {
    const user = await createUser(database.db);
    const actor = { id: user.id, role: "user" as const };
    const input = { url: `http://localhost:${receiver.port}/hooks`, events: ["run.started"] };
    const refused = new WebhooksService(database, { allowPrivate: false }).create(actor, input);
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ fieldErrors: { url: expect.stringMatching(/private/) } });
    const allowed = await new WebhooksService(database, { allowPrivate: true }).create(actor, input);
    expect(allowed.secret).toMatch(/^whsec_/);
  });

  it("refuses to connect to a name that resolves to loopback when private addresses are not allowed", async () => {
    const user = await createUser(database.db);
    // Registered while allowed (or before the name pointed there): the connect-time check still refuses.
    await new WebhooksService(database, { allowPrivate: true }).create(
      { id: user.id, role: "user" },
      { url: `http://localhost:${receiver.port}/hooks`, events: ["run.started"] },
    );
    await enqueueEvents(database.db, "run.started", [{ ownerId: user.id, data: { run_id: 1 } }], new Date());
    const sut = new WebhookDispatcher(new WebhookStore(database), {
      config: { allowPrivate: false, pollMs: 10 },
    });
    sut.start();
    try {
      const attempt = await eventually(() =>
        database.db.selectFrom("webhook_attempts").selectAll().executeTakeFirst(),
      );
      expect(attempt.outcome).toBe("refused");
      expect(attempt.error).toMatch(/private or local/);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await sut.stop();
    }
  });

  it("disables an endpoint that has failed for 3 days, with the reason", async () => {
    const user = await createUser(database.db);
    const { endpoint } = await new WebhooksService(database, { allowPrivate: true }).create(
      { id: user.id, role: "user" },
      { url: receiver.url(), events: ["run.started"] },
    );
    const since = new Date(Date.now() - 3 * 86_400_000 - 1000).toISOString();
    await database.db
      .updateTable("webhook_endpoints")
      .set({ failing_since: since, failures: 40 })
      .where("id", "=", endpoint.id)
      .execute();
    await enqueueEvents(database.db, "run.started", [{ ownerId: user.id, data: { run_id: 1 } }], new Date());
    receiver.replies = [503];
    const sut = new WebhookDispatcher(new WebhookStore(database), {
      config: { allowPrivate: true, pollMs: 10 },
    });
    sut.start();
    try {
      const row = await eventually(async () => {
        const e = await database.db.selectFrom("webhook_endpoints").selectAll().executeTakeFirstOrThrow();
        return e.enabled === 0 ? e : undefined;
      });
      expect(row.disabled_reason).toMatch(/Disabled automatically/);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await sut.stop();
    }
  });
});
