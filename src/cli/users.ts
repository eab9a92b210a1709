/** `postpilot users`: list users, block and unblock them (recorded in the audit log as the command line). */
import type { Command } from "commander";
import type { Config } from "../config.js";
import { createServices } from "../container.js";
import { openExistingDatabase } from "./existing-database.js";
import { formatTable } from "./table.js";

export function registerUserCommands(
  program: Command,
  config: () => Config,
  fail: (error: unknown) => never,
): void {
  const users = program.command("users").description("list users; block or unblock one");

  users
    .command("list", { isDefault: true })
    .description("list users with their role and state")
    .option("--search <text>", "only users whose email or name contains this")
    .action(async (options: { search?: string }) => {
      const database = await openExistingDatabase(config()).catch(fail);
      try {
        const admin = createServices(database).admin;
        const rows: Record<string, string>[] = [];
        for (let page = 1; ; page++) {
          const result = await admin.listUsers("cli", { q: options.search ?? "", page });
          for (const u of result.items) {
            rows.push({
              id: String(u.id),
              email: u.email,
              name: u.name,
              role: u.role,
              state: u.blocked_at ? "blocked" : u.email_confirmed_at ? "active" : "unconfirmed",
              joined: u.created_at.slice(0, 10),
            });
          }
          if (page >= result.pages) break;
        }
        console.log(rows.length === 0 ? "No users." : formatTable(rows));
      } finally {
        await database.close();
      }
    });

  for (const [name, blocked] of [
    ["block", true],
    ["unblock", false],
  ] as const) {
    users
      .command(name)
      .description(
        blocked
          ? "block a user: logged out everywhere, no login, API tokens refused, mailings stop sending"
          : "unblock a user",
      )
      .argument("<email>", "the user's email")
      .action(async (email: string) => {
        const database = await openExistingDatabase(config()).catch(fail);
        try {
          const admin = createServices(database).admin;
          const user = await admin.findUserByEmail("cli", email);
          await admin.setBlocked("cli", user.id, blocked);
          console.log(`${user.email} is ${blocked ? "blocked" : "unblocked"}.`);
        } catch (error) {
          fail(error);
        } finally {
          await database.close();
        }
      });
  }
}
