import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/fixtures.js";
import { apiClient, buildApi } from "./support.js";

const URL_OK = "https://93.184.216.34/hooks";

describe("API: PATCH /webhook-endpoints/{id}", () => {
  it("changes url, description and events (only those sent), checks a new URL for SSRF, and keeps the secret", async () => {
    const t = await buildApi();
    const { endpoint, secret } = (
      await t.api.call("POST", "/webhook-endpoints", { url: URL_OK, events: ["run.finished"] })
    ).json();
    const changed = await t.api.call("PATCH", `/webhook-endpoints/${endpoint.id}`, {
      url: "https://93.184.216.35/new",
      description: "Shop sync",
      events: ["delivery.failed", "delivery.failed", "run.started"],
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      url: "https://93.184.216.35/new",
      description: "Shop sync",
      events: ["delivery.failed", "run.started"],
      enabled: true,
    });
    const only = await t.api.call("PATCH", `/webhook-endpoints/${endpoint.id}`, { description: "" });
    expect(only.json()).toMatchObject({
      url: "https://93.184.216.35/new",
      description: "",
      events: ["delivery.failed", "run.started"],
    });
    const stored = await t.database.db
      .selectFrom("webhook_endpoints")
      .select("secret")
      .where("id", "=", endpoint.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret).toBe(secret);

    const loop = await t.api.call("PATCH", `/webhook-endpoints/${endpoint.id}`, {
      url: "http://127.0.0.1:4100/",
    });
    expect(loop.statusCode).toBe(422);
    expect(loop.json().errors[0]).toMatchObject({ field: "url" });
    expect(loop.json().errors[0].message).toMatch(/private or local/);
    for (const body of [{}, { events: [] }, { events: ["nope"] }, { url: "ftp://x" }, { enabled: "yes" }]) {
      expect(
        (await t.api.call("PATCH", `/webhook-endpoints/${endpoint.id}`, body)).statusCode,
        JSON.stringify(body),
      ).toBe(422);
    }
    const unknown = await t.api.call("PATCH", `/webhook-endpoints/${endpoint.id}`, { all_users: true });
    expect(unknown.statusCode).toBe(422);
    expect(JSON.stringify(unknown.json().errors)).toContain(
      "Only url, description, events and enabled can be changed (not all_users).",
    );
    expect((await t.api.call("GET", `/webhook-endpoints/${endpoint.id}`)).json().endpoint.url).toBe(
      "https://93.184.216.35/new",
    );

    const other = await apiClient(t, await createUser(t.database.db));
    expect(
      (await other.call("PATCH", `/webhook-endpoints/${endpoint.id}`, { description: "x" })).statusCode,
    ).toBe(404);
  });

  it("re-enables an endpoint disabled after 3 days of failures, its failure streak cleared", async () => {
    const t = await buildApi();
    const { endpoint } = (
      await t.api.call("POST", "/webhook-endpoints", { url: URL_OK, events: ["run.finished"] })
    ).json();
    const longAgo = new Date(Date.now() - 4 * 86_400_000).toISOString();
    await t.database.db
      .updateTable("webhook_endpoints")
      .set({
        enabled: 0,
        disabled_at: new Date().toISOString(),
        disabled_reason: "Disabled after 3 days of failed deliveries.",
        failing_since: longAgo,
        failures: 40,
        next_attempt_at: longAgo,
      })
      .where("id", "=", endpoint.id)
      .execute();
    const off = (await t.api.call("GET", `/webhook-endpoints/${endpoint.id}`)).json().endpoint;
    expect(off).toMatchObject({
      enabled: false,
      disabled_reason: "Disabled after 3 days of failed deliveries.",
    });
    const on = await t.api.call("PATCH", `/webhook-endpoints/${endpoint.id}`, { enabled: true });
    expect(on.json()).toMatchObject({
      enabled: true,
      disabled_at: null,
      disabled_reason: null,
      failing_since: null,
      next_attempt_at: null,
    });
    const row = await t.database.db
      .selectFrom("webhook_endpoints")
      .select("failures")
      .where("id", "=", endpoint.id)
      .executeTakeFirstOrThrow();
    expect(row.failures).toBe(0);
    const again = await t.api.call("PATCH", `/webhook-endpoints/${endpoint.id}`, {
      enabled: false,
      url: URL_OK,
    });
    expect(again.json()).toMatchObject({ enabled: false, disabled_reason: null });
  });
});
