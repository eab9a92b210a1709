/**
 * The entry of the engine thread that `postpilot serve` starts (see engine-thread.ts): on its own database
 * connection it runs the scheduler and/or the worker with the account-mail sender, wakes the scheduler
 * when asked, and on "stop" shuts down in two phases, closes its connection and reports back.
 */
import { parentPort, workerData } from "node:worker_threads";
import pino from "pino";
import type { Config } from "../config.js";
import { Database } from "../db/database.js";
import type { MetricsJson } from "../ops/engine-metrics.js";
import { logDestination } from "../ops/logging.js";
import { createDeliveryRuntime } from "./runtime.js";

export interface EngineThreadData {
  config: Config;
  parts: { worker: boolean; scheduler: boolean };
  /** Pretty logs: the main thread's standard output is a terminal (this thread's never is). */
  prettyLogs?: boolean;
}

/** From the web's thread: a mailing changed or deliveries became due (look now, not at the next poll), or shut down. */
export type EngineRequest = { type: "wake" } | { type: "stop" } | { type: "metrics"; id: number };
/**
 * To the web's thread: running (with the worker's heartbeat id), stopped with everything recorded, or
 * the engine's metrics (ops/engine-metrics.ts) answering a request for /metrics.
 */
export type EngineReport =
  | { type: "started"; workerId: string | null }
  | { type: "stopped" }
  | { type: "metrics"; id: number; metrics: MetricsJson };

if (!parentPort) throw new Error("engine-thread.main.js runs in a worker thread: see engine-thread.ts");
const port = parentPort;
const { config, parts, prettyLogs } = workerData as EngineThreadData;

// Synchronous writes to standard output: they cost the web nothing here, and no line is lost when the
// process exits right after this thread reports, or when it dies.
const logger = pino({ level: config.logLevel }, logDestination(prettyLogs === true)).child({
  part: "delivery",
});
// The web's thread has already applied the migrations; a second connection to the WAL-mode SQLite file
// (or a pool of its own on PostgreSQL) keeps this thread's queries off the web's connection.
const database = Database.open(config);
const runtime = createDeliveryRuntime({ database, config, logger });

let stopRequested = false;
async function stop(): Promise<void> {
  await runtime.stop();
  await database.close();
  // The web's thread ends this thread once it has this report.
  port.postMessage({ type: "stopped" } satisfies EngineReport);
}

port.on("message", (request: EngineRequest) => {
  if (request.type === "metrics") {
    void runtime.metrics
      .json()
      .catch(() => [])
      .then((metrics) =>
        port.postMessage({ type: "metrics", id: request.id, metrics } satisfies EngineReport),
      );
  } else if (request.type === "wake") {
    runtime.scheduler.wake();
    runtime.preparer.wake();
    runtime.worker.wake();
  } else if (request.type === "stop" && !stopRequested) {
    stopRequested = true;
    // Thrown again as an uncaught error: it reaches the web's thread as this thread's "error" event.
    stop().catch((error: unknown) =>
      setImmediate(() => {
        throw error;
      }),
    );
  }
});

runtime.start(parts);
port.postMessage({
  type: "started",
  workerId: parts.worker ? runtime.worker.id : null,
} satisfies EngineReport);
