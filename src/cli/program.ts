/** The `postpilot` program: its commands, options and help texts. Each command validates config, then calls services through the container. */
import { createInterface } from "node:readline/promises";
import { Command, Option } from "commander";
import { type Config, ConfigError, loadConfig, type ParseOptions } from "../config.js";
import { createLogger, createServices, openDatabase } from "../container.js";
import { createDeliveryRuntime } from "../delivery/runtime.js";
import type { MailingRow } from "../mailings/mailings.repository.js";
import { onShutdown, serve } from "../server.js";
import { DomainError, ValidationError } from "../shared/errors.js";
import { registerBounceCommands } from "./bounces.js";
import { registerDatabaseCommands } from "./database.js";
import { registerDemoCommands } from "./demo.js";
import { registerDkimCommands } from "./dkim.js";
import { allowCreatingDatabase, openExistingDatabase } from "./existing-database.js";
import { cliLocale, inLanguage } from "./i18n.js";
import { registerMessageCommands } from "./messages.js";
import { registerRecipientCommands } from "./recipients.js";
import { registerRunCommands } from "./runs.js";
import { sendCommand } from "./send.js";
import { registerSenderCommands } from "./senders.js";
import { registerSuppressionCommands } from "./suppressions.js";
import { formatTable } from "./table.js";
import { registerTokenCommands } from "./tokens.js";
import { registerUserCommands } from "./users.js";
import { registerWebhookCommands } from "./webhooks.js";

function config(options?: ParseOptions) {
  try {
    return loadConfig(options);
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
  if (process.stdin.isTTY)
    process.stderr.write(inLanguage(cliLocale(), "Password (at least 8 characters): "));
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

async function runDeliveryPart(cfg: Config, parts: { scheduler: boolean; worker: boolean }): Promise<void> {
  const logger = createLogger(cfg);
  const database = await openDatabase(cfg, logger);
  const runtime = createDeliveryRuntime({ database, config: cfg, logger });
  runtime.start(parts);
  logger.info(`PostPilot ${parts.worker ? "worker" : "scheduler"} started`);
  onShutdown(logger, async () => {
    await runtime.stop();
    await database.close();
  });
}

function mailingRow(m: MailingRow & { owner_email: string }): Record<string, string> {
  return {
    id: String(m.id),
    name: m.name,
    owner: m.owner_email,
    status: m.disabled_at ? `${m.status} (disabled)` : m.status,
    repeats: m.periodicity,
    recipients: String(m.recipient_count),
    "next run (UTC)": m.next_run_at ? m.next_run_at.slice(0, 16).replace("T", " ") : "-",
  };
}

export function buildCli(): Command {
  const program = new Command("postpilot")
    .description("PostPilot: self-hosted email mailings")
    .option("--create", "commands that read a database: make a new empty one when DATA_DIR holds none")
    .showHelpAfterError();
  program.hook("preAction", () =>
    allowCreatingDatabase(program.opts<{ create?: boolean }>().create === true),
  );

  program
    .command("serve")
    .description("run the web app (on PORT, default 3000) with the scheduler and a worker; migrates first")
    .option("--no-worker", "do not send in this process (run `postpilot worker` separately)")
    .option(
      "--no-scheduler",
      "do not start due mailings in this process (run `postpilot scheduler` separately)",
    )
    .action(async (options: { worker: boolean; scheduler: boolean }) => {
      await serve(config(), options);
    });

  program
    .command("scheduler")
    .description("run only the scheduler: creates the runs of due mailings and completes ended ones")
    .action(async () => runDeliveryPart(config(), { scheduler: true, worker: false }));

  program
    .command("worker")
    .description("run only a worker: claims due deliveries, sends them and records the replies")
    .action(async () => runDeliveryPart(config(), { scheduler: false, worker: true }));

  program
    .command("send")
    .description("send a mailing now; shows progress, prints a summary, exits 1 if any delivery failed")
    .argument("<mailing-id>", "the mailing's id (see `postpilot mailings`)")
    .option("--no-worker", "only start the run; let the workers of other processes send it")
    .action(async (mailingId: string, options: { worker: boolean }) => {
      const idNumber = Number(mailingId);
      if (!Number.isInteger(idNumber) || idNumber <= 0) {
        console.error(`"${mailingId}" is not a mailing id (see \`postpilot mailings\`).`);
        process.exit(2);
      }
      try {
        process.exitCode = await sendCommand(config(), idNumber, options);
      } catch (error) {
        fail(error);
      }
    });

  program
    .command("mailings")
    .description("list mailings with their status and next planned run")
    .option("--owner <email>", "only this user's mailings")
    .action(async (options: { owner?: string }) => {
      const cfg = config();
      const database = await openExistingDatabase(cfg).catch(fail);
      try {
        const rows = await createServices(database).mailings.listForOperator(options.owner);
        if (rows.length === 0) console.log("No mailings.");
        else console.log(formatTable(rows.map(mailingRow)));
      } finally {
        await database.close();
      }
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

  registerTokenCommands(program);
  registerUserCommands(program, config, fail);
  registerWebhookCommands(program, config, fail);
  registerDatabaseCommands(program, config);
  registerDemoCommands(program);
  registerRecipientCommands(program);
  registerSuppressionCommands(program);
  registerMessageCommands(program);
  registerSenderCommands(program);
  registerRunCommands(program);
  registerBounceCommands(program, () => config());
  registerDkimCommands(program, () => config({ readDkimKey: false }));
  return program;
}
