/** The `postpilot` command line. Each command validates config, then calls services through the container. */
import { createInterface } from "node:readline/promises";
import { Command, Option } from "commander";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger, createServices, openDatabase } from "./container.js";
import { serve } from "./server.js";
import { DomainError, ValidationError } from "./shared/errors.js";

function config() {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

async function readPassword(): Promise<string> {
  const rl = createInterface({
    input: process.stdin,
    output: process.stdin.isTTY ? process.stderr : undefined,
    terminal: false,
  });
  if (process.stdin.isTTY) process.stderr.write("Password (at least 8 characters): ");
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return "";
}

function fail(error: unknown): never {
  if (error instanceof ValidationError) {
    for (const [field, message] of Object.entries(error.fieldErrors)) console.error(`${field}: ${message}`);
    process.exit(1);
  }
  if (error instanceof DomainError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

export function buildCli(): Command {
  const program = new Command("postpilot")
    .description("PostPilot: self-hosted email mailings")
    .showHelpAfterError();

  program
    .command("serve")
    .description("run the web app (on PORT, default 3000); migrates the database first")
    .action(async () => {
      await serve(config());
    });

  program
    .command("migrate")
    .description("apply database migrations and exit")
    .action(async () => {
      const cfg = config();
      const database = await openDatabase(cfg, createLogger(cfg));
      console.log("The database is up to date.");
      await database.close();
    });

  program
    .command("create-admin")
    .description("create an admin account (prompts for the password, or reads it from standard input)")
    .requiredOption("--email <email>", "the admin's email address")
    .option(
      "--password <password>",
      "the password (prefer the prompt or standard input: arguments show in ps)",
    )
    .addOption(new Option("--name <name>", "the admin's name").default(""))
    .action(async (options: { email: string; password?: string; name: string }) => {
      const cfg = config();
      const database = await openDatabase(cfg);
      try {
        const password = options.password ?? (await readPassword());
        const user = await createServices(database).accounts.createAdmin({
          email: options.email,
          password,
          name: options.name,
        });
        console.log(`Admin ${user.email} created.`);
      } catch (error) {
        fail(error);
      } finally {
        await database.close();
      }
    });

  return program;
}

await buildCli().parseAsync(process.argv);
