/**
 * `postpilot runs pause|resume|cancel <run-id>`: the run page's controls from the command line, acting for
 * nobody in particular (the operator). The running engine notices within a heartbeat.
 */
import type { Command } from "commander";
import { outcomeText } from "../delivery/delivery.views.js";
import { translator } from "../i18n/index.js";
import { ValidationError } from "../shared/errors.js";
import { cliLocale } from "./i18n.js";
import { withServices } from "./with-services.js";

export function registerRunCommands(program: Command): void {
  const group = program.command("runs").description("pause, resume or cancel a run that is sending");
  const actions = {
    pause: "stop starting new deliveries (those being sent finish)",
    resume: "continue a paused run where it stopped",
    cancel: "never send what is not sent yet (recorded as cancelled)",
  } as const;
  for (const [action, description] of Object.entries(actions) as [keyof typeof actions, string][]) {
    group
      .command(action)
      .description(description)
      .argument("<run-id>", "the run (its number on the run page)")
      .action(async (runId: string) =>
        withServices(async (services) => {
          const id = Number(runId);
          if (!Number.isInteger(id) || id <= 0) throw new ValidationError({ run: "Give the run's number." });
          const run = await services.delivery[action](null, id);
          const p = run.progress;
          const locale = cliLocale();
          console.log(
            `Run ${run.id} of "${run.mailing_name.replace(/[\p{Cc}]/gu, "")}": ${outcomeText(translator(locale), run, locale)} (${p.sent} sent, ${p.pending + p.sending} not yet sent, ${p.cancelled} cancelled).`,
          );
          return 0;
        }),
      );
  }
}
