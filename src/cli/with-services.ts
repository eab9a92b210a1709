/**
 * How an operator command runs: read the config (a bad variable: its message, exit 2), open the database,
 * run one action with the services, and print a domain error as a message (a validation error field by
 * field) with exit 1 instead of a stack trace. The action may return the exit code.
 */
import { ConfigError, loadConfig } from "../config.js";
import { createServices, type Services } from "../container.js";
import { DomainError, ValidationError } from "../shared/errors.js";
import { openExistingDatabase } from "./existing-database.js";

export async function withServices(
  action: (services: Services) => Promise<number | undefined>,
): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  let database: Awaited<ReturnType<typeof openExistingDatabase>>;
  try {
    database = await openExistingDatabase(config);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
    return;
  }
  try {
    const code = await action(
      createServices(database, { from: config.smtp.from, unsubscribeFooter: config.unsubscribe.footer }),
    );
    if (typeof code === "number") process.exitCode = code;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    if (error instanceof ValidationError) {
      for (const [field, message] of Object.entries(error.fieldErrors)) console.error(`${field}: ${message}`);
    } else console.error(error.message);
    process.exitCode = 1;
  } finally {
    await database.close();
  }
}
