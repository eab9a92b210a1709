import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/fixtures.js";
import { apiClient, buildApi } from "./support.js";

// A public IP literal: the SSRF check needs no DNS for it.
const URL_OK = "https://93.184.216.34/hooks";

describe("API: webhooks", () => {
  it("registers an endpoint (secret once), lists, reads, disables, resends and deletes it", async () => {
    const t = await buildApi();
    const created = await t.api.call("POST", "/webhook-endpoints", {
      url: URL_OK,
      events: ["run.finished", "delivery.sent"],
    });
    expect(created.statusCode).toBe(201);
    const { endpoint, secret } = created.json();
    expect(secret).toMatch(/^whsec_/);
    expect(endpoint).toMatchObject({ url: URL_OK, events: ["run.finished", "delivery.sent"], enabled: true });

    const list = await t.api.call("GET", "/webhook-endpoints");
    expect(list.json().items).toHaveLength(1);
    expect(JSON.stringify(list.json())).not.toContain(secret);
    const details = await t.api.call("GET", `/webhook-endpoints/${endpoint.id}`);
    expect(details.statusCode).toBe(200);
    expect(JSON.stringify(details.json())).not.toContain(secret);

    const off = await t.api.call("PATCH", `/webhook-endpoints/${endpoint.id}`, { enabled: false });
    expect(off.json().enabled).toBe(false);

    // An event to resend: queued as the engine would.
    const row = await t.database.db
      .insertInto("webhook_events")
      .values({
        endpoint_id: endpoint.id,
        uid: "evt_x",
        type: "run.finished",
        payload: '{"id":"evt_x"}',
        status: "delivered",
        created_at: new Date().toISOString(),
        delivered_at: new Date().toISOString(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const resent = await t.api.call("POST", `/webhook-endpoints/${endpoint.id}/resend`, { event_id: row.id });
    expect(resent.statusCode).toBe(202);
    expect(resent.json()).toMatchObject({ uid: "evt_x", status: "pending" });
    expect(
      (await t.api.call("POST", `/webhook-endpoints/${endpoint.id}/resend`, { event_id: 0 })).statusCode,
    ).toBe(422);
    expect(
      (await t.api.call("POST", `/webhook-endpoints/${endpoint.id}/resend`, { event_id: 99999 })).statusCode,
    ).toBe(404);

    expect((await t.api.call("DELETE", `/webhook-endpoints/${endpoint.id}`)).statusCode).toBe(204);
    expect((await t.api.call("GET", `/webhook-endpoints/${endpoint.id}`)).statusCode).toBe(404);
  });

  it("refuses bad input by field, loopback URLs, other users' endpoints, and all_users for non-admins", async () => {
    const t = await buildApi();
    const bad = await t.api.call("POST", "/webhook-endpoints", { url: "ftp://x", events: ["nope"] });
    expect(bad.statusCode).toBe(422);
    expect(JSON.stringify(bad.json())).toMatch(/http/);
    const loop = await t.api.call("POST", "/webhook-endpoints", {
      url: "http://127.0.0.1:4100/",
      events: ["run.started"],
    });
    expect(loop.statusCode).toBe(422);
    expect(JSON.stringify(loop.json())).toMatch(/private or local/);
    const wide = await t.api.call("POST", "/webhook-endpoints", {
      url: URL_OK,
      events: ["run.started"],
      all_users: true,
    });
    expect(wide.statusCode).toBe(403);

    const other = await apiClient(t, await createUser(t.database.db));
    const theirs = (
      await other.call("POST", "/webhook-endpoints", { url: URL_OK, events: ["run.started"] })
    ).json();
    expect((await t.api.call("GET", `/webhook-endpoints/${theirs.endpoint.id}`)).statusCode).toBe(404);
    expect((await t.api.call("DELETE", `/webhook-endpoints/${theirs.endpoint.id}`)).statusCode).toBe(404);

    const admin = await apiClient(t, await createUser(t.database.db, { role: "admin" }));
    const installation = await admin.call("POST", "/webhook-endpoints", {
      url: URL_OK,
      events: ["run.started"],
      all_users: true,
    });
    expect(installation.statusCode).toBe(201);
    expect(installation.json().endpoint.all_users).toBe(true);
  });

  it("describes every event's payload under `webhooks` in the OpenAPI document", async () => {
    const t = await buildApi();
    const doc = (await t.app.inject({ url: "/api/openapi.json" })).json();
    expect(Object.keys(doc.webhooks).sort()).toEqual(
      [
        "batch",
        "delivery.bounced",
        "delivery.failed",
        "delivery.sent",
        "recipient.suppressed",
        "recipient.unsubscribed",
        "run.finished",
        "run.started",
        "subscriber.confirmed",
      ].sort(),
    );
    const post = doc.webhooks["delivery.sent"].post;
    expect(post.parameters.map((p: { name: string }) => p.name)).toContain("X-PostPilot-Signature");
    expect(post.requestBody.content["application/json"].schema.required).toEqual([
      "id",
      "type",
      "created_at",
      "data",
    ]);
  });
});
