/**
 * The delivery engine's own metrics, kept where the engine runs (the engine thread of `serve`, or a
 * `worker` process): every send's result and reply code class (counted by wrapping the mailer, so the
 * engine needs no change) and how long finished runs took (a RunsFinishedListener). The web's /metrics
 * asks the engine thread for them by message (engine-thread.ts `metrics()`) and merges them with its own.
 */
import { Counter, Histogram, type MetricObjectWithValues, type MetricValue, Registry } from "prom-client";
import type { Database } from "../db/database.js";
import type { SendOutcome } from "../delivery/classify.js";
import type { Mailer, OutgoingMail, RunsFinishedListener } from "../delivery/ports.js";

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export class EngineMetrics {
  readonly registry = new Registry();
  private readonly sends = new Counter({
    name: "postpilot_sends_total",
    help: "Messages handed to the mail server (or the outbox), by result.",
    labelNames: ["result"],
    registers: [this.registry],
  });
  private readonly replies = new Counter({
    name: "postpilot_smtp_replies_total",
    help: "Replies of the mail server to a send, by code class (2xx, 4xx, 5xx; none: no reply).",
    labelNames: ["class"],
    registers: [this.registry],
  });
  private readonly runDuration = new Histogram({
    name: "postpilot_run_duration_seconds",
    help: "How long finished runs took, from start to their last delivery's result.",
    buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
    registers: [this.registry],
  });

  sent(outcome: SendOutcome): void {
    this.sends.inc({ result: outcome.ok ? "sent" : "not_sent" });
    const code = outcome.responseCode ?? Number(/^([2-5]\d\d)[ -]/.exec(outcome.response ?? "")?.[1] ?? 0);
    this.replies.inc({ class: code && code >= 200 && code < 600 ? `${Math.floor(code / 100)}xx` : "none" });
  }

  /** A listener that times finished runs, then hands them on. */
  timing(database: Database, next: RunsFinishedListener): RunsFinishedListener {
    return {
      runsFinished: async (runIds) => {
        if (runIds.length > 0) {
          const runs = await database.db
            .selectFrom("runs")
            .select(["started_at", "finished_at"])
            .where("id", "in", runIds)
            .execute()
            .catch(() => []);
          for (const r of runs)
            if (r.finished_at)
              this.runDuration.observe(
                Math.max(0, (Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000),
              );
        }
        await next.runsFinished(runIds);
      },
    };
  }

  /** The mailer, counting each send's outcome. */
  counting(mailer: Mailer): Mailer {
    return {
      kind: mailer.kind,
      send: async (mail: OutgoingMail) => {
        const outcome = await mailer.send(mail);
        this.sent(outcome);
        return outcome;
      },
      close: () => mailer.close(),
      ...(mailer.relayStatus ? { relayStatus: () => mailer.relayStatus?.() } : {}),
    };
  }

  json(): Promise<MetricsJson> {
    return this.registry.getMetricsAsJSON() as Promise<MetricsJson>;
  }
}
