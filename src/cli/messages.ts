/**
 * `postpilot send-test <message-id> --owner <email> [--to a@x,b@y] [--recipient <id>]`: queues a test of a
 * message ([Test] in the subject) exactly as the web's "Send a test" does; the engine's account-mail loop
 * sends it (wherever `serve` or `worker` runs).
 */
import type { Command } from "commander";
import { ValidationError } from "../shared/errors.js";
import { withServices } from "./with-services.js";

export function registerMessageCommands(program: Command): void {
  program
    .command("send-test")
    .description("queue a test of a message to its owner or up to 5 addresses ([Test] in the subject)")
    .argument("<message-id>", "the message")
    .requiredOption("--owner <email>", "the user whose message it is (tests go to this address by default)")
    .option("--to <addresses>", "up to 5 addresses, separated by commas", "")
    .option("--recipient <id>", "render with this recipient's values (default: sample values)", "")
    .action(async (messageId: string, options: { owner: string; to: string; recipient: string }) =>
      withServices(async (services) => {
        const owner = await services.recipientImport.ownerByEmail(options.owner);
        const id = Number(messageId);
        if (!Number.isInteger(id) || id <= 0)
          throw new ValidationError({ message: "Give the message's number." });
        const { to } = await services.messages.sendTest({ ...owner, email: options.owner }, id, {
          to: options.to,
          recipient_id: options.recipient,
        });
        console.log(`Test queued to ${to.join(", ")}; it is sent by the running service or worker.`);
        return 0;
      }),
    );
}
