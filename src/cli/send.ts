/** `postpilot send <mailing-id>`: starts a run, shows a progress bar until every delivery is done, prints a summary. */
import type { Config } from "../config.js";
import { createLogger, createServices } from "../container.js";
import type { Progress } from "../delivery/delivery.service.js";
import { outcomeText } from "../delivery/delivery.views.js";
import { createDeliveryRuntime } from "../delivery/runtime.js";
import { failureLine } from "../delivery/summary.js";
import { translator } from "../i18n/index.js";
import { escapeControls } from "../shared/fields.js";
import { countOf } from "../shared/plural.js";
import { openExistingDatabase } from "./existing-database.js";
import { cliLocale, fillIn, inLanguage } from "./i18n.js";

const BAR_WIDTH = 30;

export function progressLine(p: Progress): string {
  const done = p.sent + p.failed + p.suppressed;
  const filled = p.total === 0 ? BAR_WIDTH : Math.round((done / p.total) * BAR_WIDTH);
  const bar = `${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}`;
  return `[${bar}] ${done}/${p.total}  sent ${p.sent}  failed ${p.failed}  suppressed ${p.suppressed}  pending ${p.pending + p.sending}`;
}

/**
 * How the progress line reaches the output: on a terminal it redraws one line (carriage return, then clear to
 * the end of the line, so a shorter line leaves nothing of a longer one); otherwise one line per change.
 */
export function progressWriter(tty: boolean, write: (text: string) => void): (line: string) => void {
  let last: string | undefined;
  return (line) => {
    if (line === last) return;
    last = line;
    write(tty ? `\r\u001b[K${line}` : `${line}\n`);
  };
}

/** Returns the process exit code: 0 when every delivery was sent, 1 otherwise. */
export async function sendCommand(
  config: Config,
  mailingId: number,
  options: { worker: boolean; pollMs?: number },
): Promise<number> {
  const logger = createLogger({ ...config, logLevel: config.logLevel === "info" ? "warn" : config.logLevel });
  const database = await openExistingDatabase(config);
  const runtime = createDeliveryRuntime({ database, config, logger });
  const services = createServices(database, { sendMode: runtime.mailer.kind });
  const tty = process.stdout.isTTY;
  const locale = cliLocale();
  try {
    const run = await services.delivery.sendNow(null, mailingId, "cli");
    console.log(`Run ${run.id} of mailing ${mailingId}: ${countOf(run.total_count, "recipient")}.`);
    // Sending happens in a worker: this process runs one too, unless --no-worker (another process sends).
    if (options.worker) runtime.start({ worker: true, scheduler: false });
    // process.stdout.write is not console.log: the line is put in the language here, before the redraw.
    const show = progressWriter(tty, (text) => process.stdout.write(text));
    for (;;) {
      const details = await services.delivery.getRun(null, run.id);
      show(inLanguage(locale, progressLine(details.progress)));
      if (details.status !== "sending") {
        if (tty) process.stdout.write("\n");
        // Filled in after translation, as the outcome is already in the language ("С ошибками (3)").
        console.log(
          fillIn(
            locale,
            "Finished: {{outcome}}. Sent {{sent}}, failed {{failed}}, suppressed {{suppressed}}.",
            {
              outcome: outcomeText(translator(locale), details, locale),
              sent: details.progress.sent,
              failed: details.progress.failed,
              suppressed: details.progress.suppressed,
            },
          ),
        );
        for (const failure of details.summary?.failures ?? [])
          console.log(`  ${escapeControls(failureLine(failure))}`); // a relay's reply text
        return details.progress.failed > 0 ? 1 : 0;
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    }
  } finally {
    await runtime.stop();
    await database.close();
  }
}
