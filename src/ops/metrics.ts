/**
 * /metrics in the Prometheus text format (prom-client): the web's own metrics (HTTP latency, event-loop
 * lag and the other Node.js defaults), gauges read from the database at each scrape (queue depth by
 * status, each live worker's breaker), and the engine's (sends, replies by code class, run durations),
 * which live in the engine thread and are asked for by message (ops/engine-metrics.ts).
 */
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from "prom-client";
import type { MetricsJson } from "./engine-metrics.js";
import type { OpsService } from "./ops.service.js";

// Node's own metrics (event-loop lag, heap, handles) once per process, however many apps it builds.
let nodeRegistry: Registry | null = null;
function nodeMetrics(): Registry {
  if (!nodeRegistry) {
    nodeRegistry = new Registry();
    collectDefaultMetrics({ register: nodeRegistry, prefix: "postpilot_" });
  }
  return nodeRegistry;
}

export class WebMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly http: Histogram<"method" | "route" | "status">;

  constructor(ops: OpsService) {
    this.http = new Histogram({
      name: "postpilot_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by method, route pattern and status class.",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    new Gauge({
      name: "postpilot_queue_depth",
      help: "Deliveries and account emails waiting (pending) or being sent (sending).",
      labelNames: ["queue", "status"],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const q of await ops.queueDepth().catch(() => []))
          this.set({ queue: q.queue, status: q.status }, q.count);
      },
    });
    new Gauge({
      name: "postpilot_breaker_open",
      help: "1 while a worker's circuit breaker holds sending (its relay down or refusing), else 0.",
      labelNames: ["worker", "host"],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const b of await ops.breakers().catch(() => []))
          this.set({ worker: b.worker, host: b.host }, b.open ? 1 : 0);
      },
    });
  }

  /** Records one answered request; `route` is the route's pattern (never the raw URL: bounded labels). */
  observe(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.http.observe(
      { method, route: route ?? "unmatched", status: `${Math.floor(statusCode / 100)}xx` },
      seconds,
    );
  }

  /** The text of a scrape: this thread's metrics and the engine's. */
  async text(engine: MetricsJson = []): Promise<string> {
    const json = async (r: Registry) =>
      (await r.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[];
    return AggregatorRegistry.aggregate([
      await json(this.registry),
      await json(nodeMetrics()),
      engine,
    ]).metrics();
  }
}
