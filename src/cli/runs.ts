/**
 * `postpilot runs pause|resume|cancel <run-id>`: the run page's controls from the command line, acting for
 * nobody in particular (the operator). The running engine notices within a heartbeat.
 */
import type { Command } from "commander";
import type { RunView } from "../delivery/delivery.service.js";
import { outcomeText } from "../delivery/delivery.views.js";
import { type Locale, translator } from "../i18n/index.js";
import { ValidationError } from "../shared/errors.js";
import { cliLocale, fillIn } from "./i18n.js";
import { withServices } from "./with-services.js";

/** What a pause, resume or cancel did: `Run 4 of "News": Paused (3 sent, 7 not yet sent, 0 cancelled).` */
export function runLine(
  run: Pick<RunView, "id" | "outcome" | "outcome_label" | "progress"> & { mailing_name: string },
  locale: Locale,
): string {
  const p = run.progress;
  // Filled in after translation: a Russian outcome ("С ошибками (3)") would shift the template's parts.
  return fillIn(
    locale,
    'Run {{run}} of "{{mailing}}": {{outcome}} ({{sent}} sent, {{open}} not yet sent, {{cancelled}} cancelled).',
    {
      run: run.id,
      mailing: run.mailing_name.replace(/[\p{Cc}]/gu, ""),
      outcome: outcomeText(translator(locale), run, locale),
      sent: p.sent,
      open: p.pending + p.sending,
      cancelled: p.cancelled,
    },
  );
}

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
          console.log(runLine(run, cliLocale()));
          return 0;
        }),
      );
  }
}
