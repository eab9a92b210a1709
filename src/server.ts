/**
 * `postpilot serve`: the web app, plus the scheduler and the worker unless told otherwise, with a two-phase
 * shutdown (stop taking requests and claiming work, finish what is in flight, then close the database).
 */
import { createCache } from "./cache/index.js";
import type { Config } from "./config.js";
import { createLogger, createServices, openDatabase, sessionSecret, uploadsDir } from "./container.js";
import { createDeliveryRuntime } from "./delivery/runtime.js";
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
  const database = await openDatabase(config, logger);
  const runtime = createDeliveryRuntime({ database, config, logger: logger.child({ part: "delivery" }) });
  const cache = createCache(config);
  const services = createServices(database, {
    sendMode: runtime.mailer.kind,
    publicUrl: config.publicUrl,
    cache,
    uploadsDir: uploadsDir(config.dataDir),
    mailingsChanged: () => runtime.scheduler.wake(),
    unsubscribeSecret: unsubscribeSecret(config.dataDir),
  });
  const app = await buildApp({
    services,
    sessionSecret: sessionSecret(config.dataDir),
    loggerInstance: logger,
    trustProxy: config.trustProxy,
    https: config.publicUrl?.startsWith("https://") ?? false,
  });
  const address = await app.listen({ host: config.host, port: config.port });
  runtime.start(options);
  const where = config.databaseUrl ? "PostgreSQL" : `SQLite in ${config.dataDir}`;
  const mail = config.smtp.url ? "SMTP" : "the local outbox (no SMTP_URL)";
  logger.info(
    `PostPilot is listening on ${address.replace("0.0.0.0", "localhost")} (database: ${where}; mail: ${mail})`,
  );

  onShutdown(logger, async () => {
    await app.close();
    await runtime.stop();
    await cache.close();
    await database.close();
  });
}

/** Runs `close` once on SIGTERM or SIGINT, then exits; a second signal or 30 s forces the exit. */
export function onShutdown(
  logger: { info(obj: object, msg?: string): void },
  close: () => Promise<void>,
): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, "shutting down");
    setTimeout(() => process.exit(1), 30_000).unref();
    await close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
