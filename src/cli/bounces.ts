/**
 * `postpilot process-bounce`: reads one message (a DSN or an ARF complaint) on standard input, as Postfix
 * or any MTA pipes it, and hands it to the same BounceService as the webhook. Exit 0 when it was processed
 * or is not a report (then ignored); 1 when the input cannot be read.
 */
import type { Command } from "commander";
import { ImapPoller, pollLines } from "../bounces/imap.poller.js";
import { type IncomingMailService, incomingLines } from "../bounces/incoming.service.js";
import type { Config, ImapConfig } from "../config.js";
import { createServices, openDatabase } from "../container.js";
import { DEFAULT_LOCALE, type Locale, translateMessage } from "../i18n/index.js";
import { unsubscribeSecret } from "../suppression/unsubscribe-token.js";
import { cliLocale, inLanguage } from "./i18n.js";
import { printable } from "./table.js";

/** A report bigger than this is not one (DSNs carry at most the original message). */
export const MAX_REPORT_BYTES = 10 * 1024 * 1024;

export async function readInput(
  input: AsyncIterable<Buffer | string>,
  max = MAX_REPORT_BYTES,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > max) throw new Error(`the message is larger than ${max} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Returns the exit code; prints what it did. */
export async function processBounce(
  incoming: IncomingMailService,
  raw: Buffer,
  print: (line: string) => void,
  envelopeRecipient?: string | null,
): Promise<number> {
  if (raw.length === 0) {
    print("No message on standard input.");
    return 1;
  }
  const result = await incoming.process(raw, envelopeRecipient);
  for (const line of incomingLines(result)) print(printable(line));
  return result.kind === "ignored" && result.why.startsWith("the message cannot be read") ? 1 : 0;
}

/** `postpilot bounces poll --once`: one poll of BOUNCE_IMAP_URL, a line per message; exit 1 when it failed. */
export async function pollOnce(
  incoming: IncomingMailService,
  imap: ImapConfig | undefined,
  print: (line: string) => void,
  locale: Locale = DEFAULT_LOCALE,
): Promise<number> {
  if (!imap) {
    print("BOUNCE_IMAP_URL is not set: there is no bounce mailbox to poll.");
    return 2;
  }
  let report: Awaited<ReturnType<ImapPoller["pollOnce"]>>;
  try {
    report = await new ImapPoller(imap, incoming).pollOnce();
  } catch (error) {
    print(printable(`The poll failed: ${(error as Error).message}`));
    return 1;
  }
  if (report.messages.length === 0) print(`No messages in ${imap.mailbox}.`);
  for (const m of report.messages) {
    const where = m.movedTo ? ` → ${m.movedTo}` : "";
    // "Message 12 → Processed: …": the word, then the line, each in the language (a template "Message
    // {{uid}}: {{line}}" would also catch a relay's "Message rejected: …" wherever replies are translated).
    for (const line of pollLines(m))
      print(
        printable(`${translateMessage(locale, "Message")} ${m.uid}${where}: ${inLanguage(locale, line)}`),
      );
  }
  return report.messages.some((m) => m.result.kind === "failed") ? 1 : 0;
}

export function registerBounceCommands(program: Command, config: () => Config): void {
  program
    .command("bounces")
    .description("the bounce mailbox (BOUNCE_IMAP_URL)")
    .command("poll")
    .description("read the bounce mailbox once, record what it holds, and print what was done")
    .requiredOption("--once", "poll once and exit (the engine polls every BOUNCE_IMAP_INTERVAL_MS)")
    .action(async () => {
      const cfg = config();
      const database = await openDatabase(cfg);
      try {
        const { incoming } = createServices(database, {
          bounces: cfg.bounces,
          unsubscribeSecret: unsubscribeSecret(cfg.dataDir),
        });
        process.exitCode = await pollOnce(
          incoming,
          cfg.bounces.imap,
          (line) => console.log(line),
          cliLocale(),
        );
      } finally {
        await database.close();
      }
    });

  program
    .command("process-bounce")
    .description(
      "read one message on standard input (a bounce (DSN), a complaint (ARF) or mail to an unsubscribe address) and record it",
    )
    .option(
      "--recipient <address>",
      "the address it was delivered to (in a Postfix pipe: the recipient macro), where a VERP or unsubscribe token is read",
    )
    .action(async (options: { recipient?: string }) => {
      const cfg = config();
      let raw: Buffer;
      try {
        raw = await readInput(process.stdin);
      } catch (error) {
        console.error(`The message cannot be read: ${(error as Error).message}`);
        process.exitCode = 1;
        return;
      }
      const database = await openDatabase(cfg);
      try {
        const { incoming } = createServices(database, {
          bounces: cfg.bounces,
          unsubscribeSecret: unsubscribeSecret(cfg.dataDir),
        });
        process.exitCode = await processBounce(incoming, raw, (line) => console.log(line), options.recipient);
      } finally {
        await database.close();
      }
    });
}
