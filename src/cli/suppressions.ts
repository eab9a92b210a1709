/**
 * `postpilot suppressions list|add|remove`: a user's suppression list, run by the operator on that user's
 * behalf. Removals are audited as done from the command line.
 */
import type { Command } from "commander";
import { DomainError, NotFoundError, ValidationError } from "../shared/errors.js";
import { SUPPRESSION_REASONS } from "../suppression/suppression.schemas.js";
import { REASON_LABELS, SOURCE_LABELS } from "../suppression/suppression.words.js";
import { cliLocale, inLanguage } from "./i18n.js";
import { formatTable } from "./table.js";
import { withServices } from "./with-services.js";

export function registerSuppressionCommands(program: Command): void {
  const group = program.command("suppressions").description("a user's suppressed addresses (never mailed)");

  group
    .command("list")
    .description("list a user's suppressed addresses, newest first")
    .requiredOption("--owner <email>", "the user whose list this is")
    .option("--search <text>", "only addresses containing this text", "")
    .action(async (options: { owner: string; search: string }) =>
      withServices(async (services) => {
        const owner = await services.recipientImport.ownerByEmail(options.owner);
        let shown = 0;
        const rows: Record<string, string>[] = [];
        for (let page = 1; ; page++) {
          const result = await services.suppressions.list(owner, { q: options.search, page, limit: 100 });
          for (const s of result.items) {
            rows.push({
              id: String(s.id),
              email: s.email,
              reason: REASON_LABELS[s.reason],
              source: SOURCE_LABELS[s.source],
              "since (UTC)": s.created_at.slice(0, 16).replace("T", " "),
            });
          }
          shown += result.items.length;
          if (page >= result.pages) break;
        }
        console.log(shown === 0 ? "No suppressed addresses." : formatTable(rows));
        return 0;
      }),
    );

  group
    .command("add")
    .description("suppress addresses for a user (their mailings never send to them)")
    .requiredOption("--owner <email>", "the user whose list this is")
    .option("--reason <reason>", `one of ${SUPPRESSION_REASONS.join(", ")}`, "manual")
    .option("--comment <text>", "a note", "")
    .argument("<emails...>", "the addresses")
    .action(async (emails: string[], options: { owner: string; reason: string; comment: string }) =>
      withServices(async (services) => {
        const owner = await services.recipientImport.ownerByEmail(options.owner);
        if (!(SUPPRESSION_REASONS as readonly string[]).includes(options.reason)) {
          throw new ValidationError({ reason: `Choose one of ${SUPPRESSION_REASONS.join(", ")}.` });
        }
        let failed = 0;
        for (const email of emails) {
          try {
            const s = await services.suppressions.add(
              owner,
              { email, reason: options.reason, comment: options.comment },
              "cli",
            );
            console.log(`Suppressed ${s.email}.`);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            const message =
              error instanceof ValidationError ? Object.values(error.fieldErrors)[0] : error.message;
            // The address leads the line, so its message is put in the language on its own.
            console.error(`${email}: ${inLanguage(cliLocale(), message ?? "")}`);
            failed++;
          }
        }
        return failed > 0 ? 1 : 0;
      }),
    );

  group
    .command("remove")
    .description("remove an address from a user's suppression list (written to the audit log)")
    .requiredOption("--owner <email>", "the user whose list this is")
    .argument("<email>", "the address")
    .action(async (email: string, options: { owner: string }) =>
      withServices(async (services) => {
        const owner = await services.recipientImport.ownerByEmail(options.owner);
        const found = await services.suppressions.statusOf(owner, email);
        if (!found) throw new NotFoundError(`${email} is not suppressed for ${options.owner}.`);
        // The audit row names the command line as who did it, on the owner's behalf.
        await services.suppressions.remove(
          { ...owner, email: `command line (for ${options.owner})` },
          found.id,
        );
        console.log(`Removed ${found.email} from the suppression list.`);
        return 0;
      }),
    );
}
