import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { enqueueEvents } from "../../src/webhooks/webhooks.outbox.js";
import { WebhooksService } from "../../src/webhooks/webhooks.service.js";
import { testDatabase } from "../helpers/db.js";
import { createUser } from "../helpers/fixtures.js";
import { build } from "../helpers/web.js";

const URL_OK = "https://93.184.216.34/hooks";

describe("webhook outbox", () => {
  let database: Database;
  beforeEach(async () => {
    database = await testDatabase();
  });
  afterEach(async () => {
    await database.close();
  });

  const events = () => database.db.selectFrom("webhook_events").selectAll().orderBy("id").execute();

  it("queues an event only for enabled endpoints of its owner that want its type, and installation-wide ones", async () => {
    const ada = await createUser(database.db);
    const bob = await createUser(database.db);
    const admin = await createUser(database.db, { role: "admin" });
    const hooks = new WebhooksService(database, { allowPrivate: false });
    const adas = await hooks.create({ id: ada.id, role: "user" }, { url: URL_OK, events: ["run.started"] });
    await hooks.create({ id: ada.id, role: "user" }, { url: URL_OK, events: ["run.finished"] });
    const off = await hooks.create({ id: ada.id, role: "user" }, { url: URL_OK, events: ["run.started"] });
    await hooks.setEnabled({ id: ada.id, role: "user" }, off.endpoint.id, false);
    const wide = await hooks.create(
      { id: admin.id, role: "admin" },
      { url: URL_OK, events: ["run.started"], all_users: true },
    );

    expect(
      await enqueueEvents(database.db, "run.started", [{ ownerId: bob.id, data: { n: 1 } }], new Date()),
    ).toBe(1);
    expect(
      await enqueueEvents(database.db, "run.started", [{ ownerId: ada.id, data: { n: 2 } }], new Date()),
    ).toBe(2);
    const rows = await events();
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.endpoint_id === adas.endpoint.id)).toHaveLength(1);
    expect(rows.filter((r) => r.endpoint_id === wide.endpoint.id)).toHaveLength(2);
    const body = JSON.parse(rows[0]!.payload);
    expect(body).toEqual({
      id: rows[0]!.uid,
      type: "run.started",
      created_at: expect.any(String),
      data: { n: 1 },
    });
  });

  it("queues nothing when no endpoint wants the event", async () => {
    const ada = await createUser(database.db);
    expect(
      await enqueueEvents(database.db, "delivery.sent", [{ ownerId: ada.id, data: {} }], new Date()),
    ).toBe(0);
    expect(await events()).toHaveLength(0);
  });
});

describe("events from other features", () => {
  it("a suppression added by hand queues recipient.suppressed in its transaction", async () => {
    const { database, services } = await build();
    const ada = await createUser(database.db);
    const actor = { id: ada.id, role: "user" as const };
    await services.webhooks.create(actor, { url: URL_OK, events: ["recipient.suppressed"] });
    await services.suppressions.add(actor, { email: "gone@example.com", reason: "manual" }, "manual");
    const [event] = await database.db.selectFrom("webhook_events").selectAll().execute();
    expect(event?.type).toBe("recipient.suppressed");
    expect(JSON.parse(event!.payload).data).toMatchObject({ email: "gone@example.com", reason: "manual" });
  });
});
