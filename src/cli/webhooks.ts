/**
 * `postpilot webhooks`: list, add, remove, enable and disable a user's webhook endpoints (the same service as
 * the pages).
 */
import type { Command } from "commander";
import type { Config } from "../config.js";
import { createServices } from "../container.js";
import type { Database } from "../db/database.js";
import type { Actor } from "../shared/actor.js";
import { openExistingDatabase } from "./existing-database.js";
import { formatTable } from "./table.js";

export function registerWebhookCommands(
  program: Command,
  config: () => Config,
  fail: (error: unknown) => never,
): void {
  const hooks = program
    .command("webhooks")
    .description("list, add, remove, enable or disable a user's webhook endpoints");

  async function withUser<T>(
    email: string,
    work: (s: ReturnType<typeof createServices>, actor: Actor) => Promise<T>,
  ) {
    const cfg = config();
    const database: Database = await openExistingDatabase(cfg).catch(fail);
    try {
      const services = createServices(database, { webhookAllowPrivate: cfg.webhooks.allowPrivate });
      const user = await services.admin.findUserByEmail("cli", email);
      return await work(services, { id: user.id, role: user.role });
    } catch (error) {
      fail(error);
    } finally {
      await database.close();
    }
  }

  hooks
    .command("list", { isDefault: true })
    .description("list a user's endpoints (an admin's: everyone's)")
    .requiredOption("--user <email>", "whose endpoints")
    .action(async (options: { user: string }) => {
      await withUser(options.user, async ({ webhooks }, actor) => {
        const rows = (await webhooks.list(actor)).map((e) => ({
          id: String(e.id),
          url: e.url,
          events: e.events.join(","),
          state: e.enabled ? (e.failing_since ? "failing" : "enabled") : "disabled",
          scope: e.all_users ? "all users" : "own",
        }));
        console.log(rows.length === 0 ? "No webhook endpoints." : formatTable(rows));
      });
    });

  hooks
    .command("add")
    .description("register an endpoint; prints its signing secret (shown this once)")
    .requiredOption("--user <email>", "the endpoint's owner")
    .requiredOption("--url <url>", "http:// or https:// URL")
    .requiredOption("--events <list>", "comma-separated event types, e.g. run.finished,delivery.failed")
    .option("--all-users", "admins: every user's events")
    .option("--description <text>", "what it is for", "")
    .action(
      async (options: {
        user: string;
        url: string;
        events: string;
        allUsers?: boolean;
        description: string;
      }) => {
        await withUser(options.user, async ({ webhooks }, actor) => {
          const { endpoint, secret } = await webhooks.create(actor, {
            url: options.url,
            description: options.description,
            events: options.events
              .split(",")
              .map((e) => e.trim())
              .filter(Boolean),
            all_users: options.allUsers === true,
          });
          console.log(`Endpoint ${endpoint.id} added. Signing secret (shown once): ${secret}`);
        });
      },
    );

  hooks
    .command("remove")
    .description("delete an endpoint and its queued events")
    .requiredOption("--user <email>", "the endpoint's owner (or an admin)")
    .argument("<id>", "the endpoint's id")
    .action(async (id: string, options: { user: string }) => {
      await withUser(options.user, async ({ webhooks }, actor) => {
        await webhooks.remove(actor, Number.parseInt(id, 10) || 0);
        console.log(`Endpoint ${id} removed.`);
      });
    });

  for (const [action, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    hooks
      .command(action)
      .description(
        enabled
          ? "enable an endpoint (one disabled after 3 days of failures starts its retries afresh)"
          : "stop sending to an endpoint (its events are still queued)",
      )
      .requiredOption("--user <email>", "the endpoint's owner (or an admin)")
      .argument("<id>", "the endpoint's id")
      .action(async (id: string, options: { user: string }) => {
        await withUser(options.user, async ({ webhooks }, actor) => {
          await webhooks.update(actor, Number.parseInt(id, 10) || 0, { enabled });
          console.log(`Endpoint ${id} ${action}d.`);
        });
      });
  }
}
