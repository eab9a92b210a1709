/**
 * `postpilot serve`: the web app on this thread, and the scheduler and the worker (unless told otherwise)
 * in the engine thread, off the web's event loop. Shutdown is two-phase: the web stops taking requests,
 * the engine stops claiming, finishes and records what is in flight and releases the rest, then the
 * database is closed. A crash of the engine thread stops the process with exit code 1.
 */
import { createCache } from "./cache/index.js";
import { type Config, isLoopbackHost, publicBaseUrl } from "./config.js";
import { createLogger, createServices, openDatabase, sessionSecret, uploadsDir } from "./container.js";
import { type EngineThread, startEngineThread } from "./delivery/engine-thread.js";
import { relayOf } from "./delivery/smtp.mailer.js";
import { stdoutIsTerminal } from "./ops/logging.js";
import { threadImportRunner } from "./recipients/import/import-thread.js";
import { unsubscribeSecret } from "./suppression/unsubscribe-token.js";
import { buildApp } from "./web/app.js";

export interface ServeOptions {
  worker: boolean;
  scheduler: boolean;
}

export async function serve(
  config: Config,
  options: ServeOptions = { worker: true, scheduler: true },
): Promise<void> {
  const logger = createLogger(config);
  // Migrates before the engine thread opens its own connection, so migrations never run twice at once.
  const database = await openDatabase(config, logger);
  const cache = createCache(config);
  let engine: EngineThread | null = null;
  let engineStarting: Promise<unknown> = Promise.resolve();
  let boundPort = config.port;
  const services = createServices(database, {
    // The web only says where mail goes; the mailer itself lives in the engine thread.
    sendMode: config.smtp.url ? "smtp" : "outbox",
    // A run's deliveries are inserted (and retried) in chunks by the engine thread or a worker process.
    prepareRuns: "engine",
    relays: config.smtp.relays.map((r) => ({
      ...relayOf({ ...config.smtp, url: r.url }),
      weight: r.weight,
      limits: [r.rate ? `${r.rate}/s` : "", r.connections ? `${r.connections} connections` : ""]
        .filter(Boolean)
        .join(", "),
    })),
    linkBaseUrl: () => publicBaseUrl(config, boundPort),
    cache,
    uploadsDir: uploadsDir(config.dataDir),
    mailingsChanged: () => engine?.wake(),
    unsubscribeSecret: unsubscribeSecret(config.dataDir),
    bounces: config.bounces,
    from: config.smtp.from,
    unsubscribeFooter: config.unsubscribe.footer,
    requireAdmin2fa: config.requireAdmin2fa,
    webhookAllowPrivate: config.webhooks.allowPrivate,
    // CSV uploads are parsed and written in a thread of their own, off the web's event loop.
    importRunner: threadImportRunner({
      database: { databaseUrl: config.databaseUrl, dataDir: config.dataDir },
      onError: (error) => logger.error({ err: error }, "a recipient import failed"),
    }),
  });
  const app = await buildApp({
    services,
    sessionSecret: sessionSecret(config.dataDir),
    loggerInstance: logger,
    trustProxy: config.trustProxy,
    https: config.publicUrl?.startsWith("https://") ?? false,
    ops: { metricsToken: config.metricsToken, engineMetrics: async () => (engine ? engine.metrics() : []) },
  });
  const address = await app.listen({ host: config.host, port: config.port });
  boundPort = (app.server.address() as { port: number } | null)?.port ?? config.port;
  linkNotice(config, boundPort, logger);
  const shutdown = onShutdown(logger, async () => {
    await app.close();
    await engineStarting; // a signal during the start still stops the engine in two phases
    await engine?.stop();
    await cache.close();
    await database.close();
  });

  if (options.worker || options.scheduler) {
    const crashed = (error: Error) => {
      logger.fatal(
        { err: error },
        "the delivery engine thread crashed: nothing is sent any more; exiting so that a supervisor restarts PostPilot",
      );
      shutdown("delivery engine crashed", 1);
    };
    engineStarting = startEngineThread({
      // The port actually bound (PORT=0 in tests): unsubscribe links are built from it without PUBLIC_URL.
      config: { ...config, port: boundPort },
      parts: options,
      prettyLogs: stdoutIsTerminal(),
      onCrash: crashed,
    }).then(
      (started) => {
        engine = started;
      },
      (error: Error) => crashed(error),
    );
    await engineStarting;
    if (!engine) return; // it did not start: shutting down
  }
  const where = config.databaseUrl ? "PostgreSQL" : `SQLite in ${config.dataDir}`;
  const mail = config.smtp.url ? "SMTP" : "the local outbox (no SMTP_URL)";
  const sending = !engine
    ? "no sending in this process"
    : `sending in the engine thread (${partsOf(options)})`;
  logger.info(
    `PostPilot is listening on ${address.replace("0.0.0.0", "localhost")} (database: ${where}; mail: ${mail}; ${sending})`,
  );
}

/** Says at start where links in emails point, and warns loudly when that is surely wrong. */
function linkNotice(config: Config, port: number, logger: { info(m: string): void; warn(m: string): void }) {
  if (config.publicUrl) return;
  const base = publicBaseUrl(config, port);
  if (isLoopbackHost(config.host)) {
    logger.info(`PUBLIC_URL is not set: links in emails will use ${base}`);
    return;
  }
  logger.warn(
    `WARNING: PostPilot listens on ${config.host}, reachable from other machines, but PUBLIC_URL is not set: ` +
      `links in emails (password reset, confirmation, unsubscribe) will use ${base}, which works only on this ` +
      "machine. Set PUBLIC_URL to the address people use, such as https://mail.example.org.",
  );
}

function partsOf(options: ServeOptions): string {
  return [options.scheduler && "scheduler", options.worker && "worker"].filter(Boolean).join(" + ");
}

type ShutdownLogger = { info(obj: object, msg?: string): void; error(obj: object, msg?: string): void };

/** A repeat of the signal sooner than this is the same request delivered twice, not an impatient user. */
const REPEAT_MS = 1_000;

/**
 * Runs `close` once on SIGTERM or SIGINT (or when the returned function is called), then exits with 0, or
 * 1 when `close` failed or the shutdown was for a failure. A second signal, or 30 s, forces the exit; a
 * repeat within a second does not: under `npm start` both npm (which forwards the signal to its child)
 * and the sender (systemd signals the whole control group, a terminal's Ctrl-C the process group) signal
 * node, and that must not cut the two-phase shutdown short.
 */
export function onShutdown(
  logger: ShutdownLogger,
  close: () => Promise<void>,
): (reason: string, exitCode?: number) => void {
  let closingSince: number | null = null;
  const shutdown = async (reason: string, exitCode = 0) => {
    if (closingSince !== null) {
      if (Date.now() - closingSince < REPEAT_MS) return;
      logger.error({ reason }, "forced exit before the shutdown finished");
      process.exit(1);
    }
    closingSince = Date.now();
    logger.info({ reason }, "shutting down");
    setTimeout(() => {
      logger.error({ reason }, "the shutdown took over 30 s; forced exit");
      process.exit(1);
    }, 30_000).unref();
    try {
      await close();
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
    process.exit(exitCode);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  return (reason, exitCode) => void shutdown(reason, exitCode);
}
