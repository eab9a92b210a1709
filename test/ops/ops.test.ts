import { describe, expect, it } from "vitest";
import { createServices } from "../../src/container.js";
import { Database } from "../../src/db/database.js";
import { EngineMetrics } from "../../src/ops/engine-metrics.js";
import { WebMetrics } from "../../src/ops/metrics.js";
import { OpsService } from "../../src/ops/ops.service.js";
import { buildApp } from "../../src/web/app.js";
import { seedMailing } from "../helpers/fixtures.js";
import { build } from "../helpers/web.js";

describe("/readyz", () => {
  it("answers 503 until the migrations are applied, then 200, even before setup", async () => {
    const database = Database.memory();
    try {
      const services = createServices(database);
      const app = await buildApp({ services, sessionSecret: "test-secret-".repeat(4) });
      const before = await app.inject({ url: "/readyz" });
      expect(before.statusCode).toBe(503);
      expect(before.json().reason).toContain("migrations not applied");
      await database.migrateToLatest();
      const after = await app.inject({ url: "/readyz" });
      expect([after.statusCode, after.json()]).toEqual([200, { ready: true }]);
      await app.close();
    } finally {
      await database.close();
    }
  });

  it("answers 503 when the database does not answer", async () => {
    const database = Database.memory();
    await database.migrateToLatest();
    const ops = new OpsService(database);
    expect((await ops.readiness()).ready).toBe(true);
    await database.close();
    const down = await ops.readiness();
    expect(down.ready).toBe(false);
    expect(down.reason).toContain("the database does not answer");
  });
});

describe("/metrics", () => {
  it("exposes queue depth, breakers, HTTP latency, event-loop lag and the engine's sends in Prometheus text", async () => {
    const { app, database, services } = await build();
    const seeded = await seedMailing(database.db, { recipients: ["a@example.com", "b@example.com"] });
    await services.delivery.sendNow(seeded.user, seeded.mailing.id, "web");
    await app.inject({ url: "/healthz" });
    const res = await app.inject({ url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    const text = res.body;
    expect(text).toContain('postpilot_queue_depth{queue="deliveries",status="pending"} 2');
    expect(text).toContain('postpilot_queue_depth{queue="deliveries",status="sending"} 0');
    expect(text).toContain('postpilot_queue_depth{queue="account_emails",status="pending"} 0');
    expect(text).toMatch(
      /postpilot_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="2xx"\} 1/,
    );
    expect(text).toContain("postpilot_nodejs_eventloop_lag_seconds");
    expect(text).toContain("# TYPE postpilot_breaker_open gauge");
  });

  it("merges the engine's counters: sends and replies by code class, run durations", async () => {
    const engine = new EngineMetrics();
    engine.sent({ ok: true, stage: "data", responseCode: 250, response: "250 ok" });
    engine.sent({ ok: false, stage: "rcpt", responseCode: 550, response: "550 no" });
    engine.sent({ ok: false, stage: "connect" });
    const database = Database.memory();
    await database.migrateToLatest();
    const text = await new WebMetrics(new OpsService(database)).text(await engine.json());
    await database.close();
    expect(text).toContain('postpilot_sends_total{result="sent"} 1');
    expect(text).toContain('postpilot_sends_total{result="not_sent"} 2');
    expect(text).toContain('postpilot_smtp_replies_total{class="2xx"} 1');
    expect(text).toContain('postpilot_smtp_replies_total{class="5xx"} 1');
    expect(text).toContain('postpilot_smtp_replies_total{class="none"} 1');
    expect(text).toContain("# TYPE postpilot_run_duration_seconds histogram");
  });

  it("answers only loopback clients without METRICS_TOKEN, and only the token with it", async () => {
    const { app } = await build();
    expect((await app.inject({ url: "/metrics", remoteAddress: "203.0.113.9" })).statusCode).toBe(404);
    expect(
      (await app.inject({ url: "/metrics", headers: { "x-forwarded-for": "203.0.113.9" } })).statusCode,
    ).toBe(404);
    expect((await app.inject({ url: "/metrics" })).statusCode).toBe(200);

    const database = Database.memory();
    await database.migrateToLatest();
    const token = "metrics-token-0123456789abcdef";
    const guarded = await buildApp({
      services: createServices(database),
      sessionSecret: "test-secret-".repeat(4),
      ops: { metricsToken: token },
    });
    expect((await guarded.inject({ url: "/metrics" })).statusCode).toBe(401);
    expect(
      (await guarded.inject({ url: "/metrics", headers: { authorization: "Bearer wrong" } })).statusCode,
    ).toBe(401);
    const ok = await guarded.inject({
      url: "/metrics",
      remoteAddress: "203.0.113.9",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.statusCode).toBe(200);
    await guarded.close();
    await database.close();
  });
});
