/**
 * /readyz (503 until the migrations are applied and the database answers, then 200) and /metrics
 * (Prometheus text). /metrics answers only with METRICS_TOKEN as a bearer token, or, without a token,
 * only to this machine (a loopback socket, not forwarded by a proxy). /healthz (liveness) is in web/app.ts.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { isLoopbackHost } from "../config.js";
import type { MetricsJson } from "./engine-metrics.js";
import { WebMetrics } from "./metrics.js";
import type { OpsService } from "./ops.service.js";

export interface OpsOptions {
  /** METRICS_TOKEN: when set, /metrics needs it as a bearer token; unset, only loopback clients. */
  metricsToken?: string | undefined;
  /** The engine thread's metrics, when it runs in this process. */
  engineMetrics?: () => Promise<MetricsJson>;
}

export const OPS_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

export function opsRoutes(app: FastifyInstance, ops: OpsService, options: OpsOptions): void {
  const metrics = new WebMetrics(ops);
  app.addHook("onResponse", async (req, reply) => {
    metrics.observe(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.get("/readyz", async (_req, reply) => {
    const readiness = await ops.readiness();
    return reply
      .code(readiness.ready ? 200 : 503)
      .header("cache-control", "no-store")
      .send(readiness.ready ? { ready: true } : { ready: false, reason: readiness.reason });
  });

  app.get("/metrics", async (req, reply) => {
    if (!allowed(req, options.metricsToken)) {
      return reply.code(options.metricsToken ? 401 : 404).send({ error: "Not allowed" });
    }
    const engine = (await options.engineMetrics?.().catch(() => [])) ?? [];
    return reply
      .type(metrics.contentType)
      .header("cache-control", "no-store")
      .send(await metrics.text(engine));
  });
}

function allowed(req: FastifyRequest, token: string | undefined): boolean {
  if (token) {
    const given = Buffer.from(/^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "");
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  // The socket's own peer: with TRUST_PROXY, req.ip could be anything a proxy was told.
  const forwarded = req.headers["x-forwarded-for"] !== undefined || req.headers.forwarded !== undefined;
  return !forwarded && isLoopbackHost(req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "");
}
