/** `postpilot tokens create|list|revoke`: personal API tokens, managed by the operator for any user. */
import type { Command } from "commander";
import type { TokenListItem } from "../accounts/tokens.repository.js";
import { formatTable } from "./table.js";
import { withServices } from "./with-services.js";

const day = (value: string | null) => (value ? value.slice(0, 16).replace("T", " ") : "never");

function tokenLines(tokens: TokenListItem[]): string {
  return formatTable(
    tokens.map((t) => ({
      id: String(t.id),
      name: t.name,
      "created (UTC)": day(t.created_at),
      "last used (UTC)": day(t.last_used_at),
    })),
  );
}

export function registerTokenCommands(program: Command): void {
  const tokens = program.command("tokens").description("personal API tokens (Authorization: Bearer <token>)");

  tokens
    .command("create")
    .description("create a token for a user and print it once")
    .requiredOption("--user <email>", "the user the token acts as")
    .option("--name <name>", "what the token is for, e.g. the shop's import job")
    .action(async (options: { user: string; name?: string }) =>
      withServices(async (services) => {
        const created = await services.tokens.createForEmail(options.user, { name: options.name });
        console.error(`Token ${created.item.id} "${created.item.name}" for ${created.user.email}.`);
        console.error("Copy it now: it is not shown again.");
        console.log(created.token);
      }),
    );

  tokens
    .command("list")
    .description("list a user's tokens (never the tokens themselves)")
    .requiredOption("--user <email>", "whose tokens")
    .action(async (options: { user: string }) =>
      withServices(async (services) => {
        const list = await services.tokens.listForEmail(options.user);
        console.log(list.length === 0 ? "No tokens." : tokenLines(list));
      }),
    );

  tokens
    .command("revoke")
    .description("revoke a token: requests with it are refused from now on")
    .argument("<id>", "the token's id (see `postpilot tokens list`)")
    .action(async (idText: string) => {
      const id = Number(idText);
      if (!Number.isInteger(id) || id <= 0 || id > 2_147_483_647) {
        console.error(`"${idText}" is not a token id (see \`postpilot tokens list\`).`);
        process.exit(2);
      }
      await withServices(async (services) => {
        await services.tokens.revokeAny(id);
        console.log(`Token ${id} revoked.`);
      });
    });
}
