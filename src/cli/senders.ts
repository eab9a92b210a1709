/**
 * `postpilot senders list|add|remove`: the sender identities mailings can send as, managed by the operator
 * (audited as done from the command line).
 */
import type { Command } from "commander";
import { senderLabel } from "../senders/senders.service.js";
import { formatTable } from "./table.js";
import { withServices } from "./with-services.js";

/** One line of a table cell: a multi-line postal address shown with " / ", control characters dropped. */
const cell = (text: string) =>
  text
    .split("\n")
    .join(" / ")
    .replace(/\p{Cc}/gu, "");

export function registerSenderCommands(program: Command): void {
  const group = program.command("senders").description("the sender identities (From) mailings can send as");

  group
    .command("list")
    .description("list the sender identities")
    .action(async () =>
      withServices(async (services) => {
        const senders = await services.senders.list("cli");
        if (senders.length === 0) {
          console.log(
            `No senders: every mailing sends as ${cell(services.senders.defaultFrom)} (SMTP_FROM).`,
          );
          return 0;
        }
        const rows = [];
        for (const s of senders) {
          rows.push({
            id: String(s.id),
            from: cell(senderLabel(s)),
            "reply-to": cell(s.reply_to ?? "-"),
            "postal address": cell(s.postal_address),
            mailings: String(await services.senders.mailingsUsing(s.id)),
          });
        }
        console.log(formatTable(rows));
        return 0;
      }),
    );

  group
    .command("add")
    .description("add a sender identity")
    .requiredOption("--name <name>", 'the From name, e.g. "Ada\'s Bakery"')
    .requiredOption("--email <email>", "the From address")
    .option("--reply-to <email>", "where replies go (default: the From address)", "")
    .requiredOption("--postal-address <text>", 'the postal address; "\\n" starts a new line')
    .action(async (options: { name: string; email: string; replyTo: string; postalAddress: string }) =>
      withServices(async (services) => {
        const s = await services.senders.create("cli", {
          from_name: options.name,
          from_email: options.email,
          reply_to: options.replyTo,
          postal_address: options.postalAddress.replaceAll("\\n", "\n"),
        });
        console.log(`Sender ${s.id} added: ${cell(senderLabel(s))}.`);
        return 0;
      }),
    );

  group
    .command("remove")
    .description("delete a sender identity (refused while a mailing sends as it)")
    .argument("<id>", "the sender's id (see `postpilot senders list`)")
    .action(async (id: string) =>
      withServices(async (services) => {
        const n = Number(id);
        if (!Number.isInteger(n) || n <= 0 || n > 2_147_483_647) {
          console.error(`"${cell(id)}" is not a sender id (see \`postpilot senders list\`).`);
          return 2;
        }
        const s = await services.senders.delete("cli", n);
        console.log(`Sender ${s.id} deleted: ${cell(senderLabel(s))}.`);
        return 0;
      }),
    );
}
