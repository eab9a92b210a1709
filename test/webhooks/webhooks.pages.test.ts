import { describe, expect, it } from "vitest";
import { signIn } from "../helpers/sign-in.js";
import { build } from "../helpers/web.js";

const URL_OK = "https://93.184.216.34/hooks";

describe("webhook pages", () => {
  it("creates an endpoint showing its secret once, lists it, resends an event, disables and deletes it", async () => {
    const { app, database } = await build();
    const client = await signIn(app, database, "ada@example.com");
    const form = await client.get("/webhooks/new");
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="delivery.sent"');

    const created = await client.post(
      "/webhooks",
      { url: URL_OK, description: "Shop", events: ["run.finished", "delivery.failed"] },
      { from: "/webhooks/new" },
    );
    expect(created.statusCode).toBe(200);
    const secret = /data-testid="webhook-secret">([^<]+)</.exec(created.body)?.[1];
    expect(secret).toMatch(/^whsec_/);
    const endpoint = await database.db.selectFrom("webhook_endpoints").selectAll().executeTakeFirstOrThrow();
    expect(JSON.parse(endpoint.events)).toEqual(["run.finished", "delivery.failed"]);

    const page = await client.get(`/webhooks/${endpoint.id}`);
    expect(page.body).toContain(URL_OK);
    expect(page.body).not.toContain(secret!);
    // Each of the endpoint's buttons has its icon, like a mailing's (Disable, Edit, Delete).
    expect(page.body).toMatch(/<i class="bi bi-pause-circle"[^>]*><\/i> Disable/);
    expect(page.body).toMatch(/<i class="bi bi-pencil"[^>]*><\/i> Edit/);
    expect((await client.get("/webhooks")).body).toContain(`/webhooks/${endpoint.id}`);

    const event = await database.db
      .insertInto("webhook_events")
      .values({
        endpoint_id: endpoint.id,
        uid: "evt_page",
        type: "run.finished",
        payload: "{}",
        status: "failed",
        created_at: new Date().toISOString(),
        delivered_at: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const from = `/webhooks/${endpoint.id}`;
    const resent = await client.post(
      `/webhooks/${endpoint.id}/resend`,
      { event_id: String(event.id) },
      { from },
    );
    expect(resent.statusCode).toBe(303);
    const copies = await database.db
      .selectFrom("webhook_events")
      .selectAll()
      .where("uid", "=", "evt_page")
      .execute();
    expect(copies.map((c) => c.status).sort()).toEqual(["failed", "pending"]);

    expect((await client.post(`/webhooks/${endpoint.id}/disable`, {}, { from })).statusCode).toBe(303);
    const disabled = (await client.get(from)).body;
    expect(disabled).toContain("Disabled");
    expect(disabled).toMatch(/<i class="bi bi-play-circle"[^>]*><\/i> Enable/);

    expect((await client.post(`/webhooks/${endpoint.id}/delete`, {}, { from })).statusCode).toBe(303);
    expect(await database.db.selectFrom("webhook_endpoints").selectAll().execute()).toHaveLength(0);
  });

  it("keeps the input and names the problem for a bad URL and no events; shows the automatic disable notice", async () => {
    const { app, database } = await build();
    const client = await signIn(app, database, "bob@example.com");
    const res = await client.post(
      "/webhooks",
      { url: "http://127.0.0.1:4100/<b>", description: "Mine<script>" },
      { from: "/webhooks/new" },
    );
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain("Choose at least one event.");
    expect(res.body).toContain('value="Mine&lt;script');
    expect(res.body).not.toContain("Mine<script>");

    const loop = await client.post(
      "/webhooks",
      { url: "http://127.0.0.1:4100/x", events: "run.started" },
      { from: "/webhooks/new" },
    );
    expect(loop.statusCode).toBe(422);
    expect(loop.body).toContain("private or local address");
    expect(loop.body).toContain('value="http://127.0.0.1:4100/x"');

    await client.post("/webhooks", { url: URL_OK, events: "run.started" }, { from: "/webhooks/new" });
    const endpoint = await database.db
      .updateTable("webhook_endpoints")
      .set({ enabled: 0, disabled_reason: "Disabled automatically: every request failed since 2026-11-29." })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect((await client.get(`/webhooks/${endpoint.id}`)).body).toContain("Disabled automatically");

    const other = await signIn(app, database, "eve@example.com");
    expect((await other.get(`/webhooks/${endpoint.id}`)).statusCode).toBe(404);
  });
});
