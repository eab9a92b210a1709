import { describe, expect, it } from "vitest";
import { signIn } from "../helpers/sign-in.js";
import { build } from "../helpers/web.js";

const URL_OK = "https://93.184.216.34/hooks";

describe("webhook edit page", () => {
  it("shows the endpoint's values, saves a change, re-renders refused input with its messages, and is a 404 for others", async () => {
    const { app, database } = await build();
    const client = await signIn(app, database, "ada@example.com");
    await client.post(
      "/webhooks",
      { url: URL_OK, description: "Shop", events: ["run.finished"] },
      { from: "/webhooks/new" },
    );
    const endpoint = await database.db.selectFrom("webhook_endpoints").selectAll().executeTakeFirstOrThrow();
    expect((await client.get(`/webhooks/${endpoint.id}`)).body).toContain(
      `href="/webhooks/${endpoint.id}/edit"`,
    );

    const form = await client.get(`/webhooks/${endpoint.id}/edit`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`value="${URL_OK}"`);
    expect(form.body).toContain('value="Shop"');
    expect(form.body).toMatch(/value="run\.finished"[^>]*checked/);
    expect(form.body).not.toMatch(/value="delivery\.sent"[^>]*checked/);

    const saved = await client.post(
      `/webhooks/${endpoint.id}/edit`,
      { url: "https://93.184.216.35/new", description: "Shop 2", events: ["delivery.sent", "run.started"] },
      { from: `/webhooks/${endpoint.id}/edit` },
    );
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`/webhooks/${endpoint.id}`);
    const stored = await database.db.selectFrom("webhook_endpoints").selectAll().executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      url: "https://93.184.216.35/new",
      description: "Shop 2",
      secret: endpoint.secret,
    });
    expect(JSON.parse(stored.events)).toEqual(["delivery.sent", "run.started"]);

    const refused = await client.post(
      `/webhooks/${endpoint.id}/edit`,
      { url: "http://127.0.0.1:4100/", description: "Loop" },
      { from: `/webhooks/${endpoint.id}/edit` },
    );
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain("Choose at least one event.");
    expect(refused.body).toContain('value="Loop"');
    const loop = await client.post(
      `/webhooks/${endpoint.id}/edit`,
      { url: "http://127.0.0.1:4100/", events: "run.started" },
      { from: `/webhooks/${endpoint.id}/edit` },
    );
    expect(loop.statusCode).toBe(422);
    expect(loop.body).toContain("private or local");
    expect(
      (await database.db.selectFrom("webhook_endpoints").select("url").executeTakeFirstOrThrow()).url,
    ).toBe("https://93.184.216.35/new");

    const other = await signIn(app, database, "bo@example.com");
    expect((await other.get(`/webhooks/${endpoint.id}/edit`)).statusCode).toBe(404);
    const post = await other.post(
      `/webhooks/${endpoint.id}/edit`,
      { url: URL_OK, events: "run.started" },
      { from: `/webhooks/${endpoint.id}/edit` },
    );
    expect(post.statusCode).toBe(404);
  });
});
