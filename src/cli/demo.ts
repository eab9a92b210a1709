/** `postpilot seed-demo`, `dump-fixtures <file>` and `load-fixtures <file>`: demo data and fixtures. */
import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { createCache } from "../cache/index.js";
import { type Config, ConfigError, loadConfig } from "../config.js";
import { createServices, openDatabase, type Services, uploadsDir } from "../container.js";
import type { Locale } from "../i18n/index.js";
import { DomainError, ValidationError } from "../shared/errors.js";
import { cliLocale, fillIn } from "./i18n.js";

async function withServices<T>(run: (services: Services, config: Config) => Promise<T>): Promise<T> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const database = await openDatabase(config);
  // With REDIS_URL the running servers share this cache, so a fixtures load shows on their blog at once.
  const cache = createCache(config);
  try {
    return await run(createServices(database, { cache, uploadsDir: uploadsDir(config.dataDir) }), config);
  } catch (error) {
    if (error instanceof ValidationError) {
      console.error(error.message);
      for (const [field, message] of Object.entries(error.fieldErrors))
        console.error(`  ${field}: ${message}`);
      process.exit(1);
    }
    if (error instanceof DomainError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  } finally {
    await cache.close();
    await database.close();
  }
}

/**
 * "  12 recipients", or "  Получателей: 12": each looked up as it is printed, indent included, as a
 * template "{{n}} recipients" would catch any text that ends in the word.
 */
export function countLines(counts: Record<string, number>, locale: Locale): string[] {
  return Object.entries(counts).map(([what, n]) => fillIn(locale, `  {{n}} ${what}`, { n }));
}

export function registerDemoCommands(program: Command): void {
  program
    .command("seed-demo")
    .description("fill an EMPTY database with demo accounts, recipients, mailings, runs and blog posts")
    .action(() =>
      withServices(async (services) => {
        const { accounts, counts } = await services.demo.seed();
        console.log("Demo data created:");
        for (const line of countLines(counts, cliLocale())) console.log(line);
        console.log("\nLog in with (passwords are random; keep them or change them on /profile):");
        const width = Math.max(...accounts.map((a) => a.email.length));
        for (const a of accounts)
          console.log(`  ${a.role.padEnd(8)} ${a.email.padEnd(width)}  ${a.password}`);
      }),
    );

  program
    .command("dump-fixtures")
    .description("write users, recipients, messages, mailings and blog posts to a JSON file")
    .argument("<file.json>", "where to write (overwritten)")
    .action((file: string) =>
      withServices(async (services) => {
        const fixtures = await services.demo.dump();
        await writeFile(file, `${JSON.stringify(fixtures, null, 2)}\n`, { mode: 0o600 });
        console.log(
          `Wrote ${file}: ${fixtures.users.length} users, ${fixtures.recipients.length} recipients, ` +
            `${fixtures.messages.length} messages, ${fixtures.mailings.length} mailings, ${fixtures.posts.length} posts.`,
        );
        console.log("It holds password hashes: keep it private.");
      }),
    );

  program
    .command("load-fixtures")
    .description("load a dump-fixtures file in one transaction; on any conflict nothing is loaded")
    .argument("<file.json>", "a file written by dump-fixtures")
    .action((file: string) =>
      withServices(async (services) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readFile(file, "utf8"));
        } catch (error) {
          console.error(`Cannot read ${file}: ${(error as Error).message}`);
          process.exit(1);
        }
        const counts = await services.demo.load(parsed);
        console.log(
          `Loaded ${counts.users} users, ${counts.recipients} recipients, ${counts.messages} messages, ` +
            `${counts.mailings} mailings, ${counts.posts} posts.`,
        );
      }),
    );
}
