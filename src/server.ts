/** `postpilot serve`: the web app (and, later, the scheduler and worker) with a two-phase shutdown. */
import type { Config } from "./config.js";
import { createLogger, createServices, openDatabase, sessionSecret } from "./container.js";
import { buildApp } from "./web/app.js";

export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config);
  const database = await openDatabase(config, logger);
  const services = createServices(database);
  const app = await buildApp({
    services,
    sessionSecret: sessionSecret(config.dataDir),
    loggerInstance: logger,
    trustProxy: config.trustProxy,
    https: config.publicUrl?.startsWith("https://") ?? false,
  });
  const address = await app.listen({ host: config.host, port: config.port });
  const where = config.databaseUrl ? "PostgreSQL" : `SQLite in ${config.dataDir}`;
  logger.info(`PostPilot is listening on ${address.replace("0.0.0.0", "localhost")} (database: ${where})`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
