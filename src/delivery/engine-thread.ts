/**
 * The delivery engine in a worker thread of its own, so that sending (SMTP exchanges, outbox writes,
 * recording results, creating runs) never runs on the web's event loop. Same process and pid (which the
 * heartbeat rows record), its own database connection. `postpilot serve` starts it after the web listens
 * and stops it after the web has stopped taking requests; a thread that dies unasked is reported through
 * `onCrash`, so that the process does not go on as a web without a sender.
 *
 * Messages: web → engine `wake` (a mailing changed), `stop` and `metrics`; engine → web `started`,
 * `stopped` and `metrics` (types in engine-thread.main.ts, the thread's entry).
 */
import { Worker } from "node:worker_threads";
import type { Config } from "../config.js";
import type { MetricsJson } from "../ops/engine-metrics.js";
import type { EngineReport, EngineRequest, EngineThreadData } from "./engine-thread.main.js";

export interface EngineThreadOptions {
  config: Config;
  parts: { worker: boolean; scheduler: boolean };
  /** Pretty one-line logs (the main thread's standard output is a terminal). */
  prettyLogs?: boolean;
  /** Called once when the thread fails or exits without having been asked to stop. */
  onCrash: (error: Error) => void;
  /** The thread's module (tests); by default the compiled engine-thread.main.js beside this file. */
  entry?: URL;
}

export interface EngineThread {
  /** The running worker's heartbeat id (null with --no-worker). */
  readonly workerId: string | null;
  /** Looks for due mailings now rather than at the next scheduler tick. */
  wake(): void;
  /** Two-phase stop in the thread (see runtime.stop()); resolves once it has reported and ended. */
  stop(): Promise<void>;
  /** The engine's metrics (sends, replies, run durations); none when it does not answer within 2 s. */
  metrics(): Promise<MetricsJson>;
}

const METRICS_TIMEOUT_MS = 2_000;

/** Starts the thread; resolves once the engine runs, rejects if the thread dies before that. */
export function startEngineThread(options: EngineThreadOptions): Promise<EngineThread> {
  const data: EngineThreadData = {
    config: options.config,
    parts: options.parts,
    prettyLogs: options.prettyLogs === true,
  };
  const thread = new Worker(options.entry ?? defaultEntry(), { workerData: data });
  const send = (request: EngineRequest) => thread.postMessage(request);
  let state: "starting" | "running" | "stopping" | "ended" = "starting";
  let started: { resolve: (engine: EngineThread) => void; reject: (error: Error) => void };
  let stopped: { resolve: () => void; reject: (error: Error) => void } | null = null;
  let stopping: Promise<void> | null = null;
  let metricsAsked = 0;
  const metricsWaiting = new Map<number, (metrics: MetricsJson) => void>();

  const fail = (error: Error) => {
    const was = state;
    if (was === "ended") return;
    state = "ended";
    if (was === "starting") started.reject(error);
    else if (was === "stopping") stopped?.reject(error);
    else options.onCrash(error);
  };

  const engine = (workerId: string | null): EngineThread => ({
    workerId,
    wake() {
      if (state === "running") send({ type: "wake" });
    },
    stop() {
      stopping ??=
        state === "ended"
          ? Promise.resolve()
          : new Promise((resolve, reject) => {
              stopped = { resolve, reject };
              state = "stopping";
              send({ type: "stop" });
            });
      return stopping;
    },
    metrics() {
      if (state !== "running") return Promise.resolve([]);
      const id = ++metricsAsked;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          metricsWaiting.delete(id);
          resolve([]);
        }, METRICS_TIMEOUT_MS);
        metricsWaiting.set(id, (metrics) => {
          clearTimeout(timer);
          metricsWaiting.delete(id);
          resolve(metrics);
        });
        send({ type: "metrics", id });
      });
    },
  });

  thread.on("message", (report: EngineReport) => {
    if (report.type === "metrics") {
      metricsWaiting.get(report.id)?.(report.metrics);
    } else if (report.type === "started" && state === "starting") {
      state = "running";
      started.resolve(engine(report.workerId));
    } else if (report.type === "stopped" && state === "stopping") {
      state = "ended";
      // Everything is recorded and the connection closed: end the thread rather than wait for its loop
      // to drain (a lingering timer of a library would otherwise hold the shutdown).
      void thread.terminate().then(() => stopped?.resolve());
    }
  });
  thread.on("error", (error) => fail(error));
  thread.on("exit", (code) => fail(new Error(`the delivery engine thread exited with code ${code}`)));

  return new Promise((resolve, reject) => {
    started = { resolve, reject };
  });
}

/**
 * The compiled entry beside this file: dist/delivery/ for the app, dist/bench/src/delivery/ for tests and
 * benches. Run from source by a TypeScript loader (tsx, which the thread inherits through execArgv), the
 * .ts entry.
 */
function defaultEntry(): URL {
  const source = import.meta.url.endsWith(".ts");
  return new URL(source ? "./engine-thread.main.ts" : "./engine-thread.main.js", import.meta.url);
}
