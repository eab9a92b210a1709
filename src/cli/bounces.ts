/**
 * `postpilot process-bounce`: reads one message (a DSN or an ARF complaint) on standard input, as Postfix
 * or any MTA pipes it, and hands it to the same BounceService as the webhook. Exit 0 when it was processed
 * or is not a report (then ignored); 1 when the input cannot be read.
 */
import type { Command } from "commander";
import type { BounceOutcome, BounceService } from "../bounces/bounces.service.js";
import { parseReport } from "../bounces/dsn.js";
import type { Config } from "../config.js";
import { createServices, openDatabase } from "../container.js";

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

export function outcomeLine(o: BounceOutcome): string {
  const who = o.email ?? "(no address)";
  const what = o.type ?? "report";
  const where = o.deliveryId === null ? "" : ` on delivery ${o.deliveryId}`;
  const suppressed = o.suppressed ? "; suppressed" : "";
  return `${who}: ${what} ${o.result}${where} (${o.why})${suppressed}`;
}

/** Returns the exit code; prints what it did. */
export async function processBounce(
  bounces: BounceService,
  raw: Buffer,
  print: (line: string) => void,
): Promise<number> {
  if (raw.length === 0) {
    print("No message on standard input.");
    return 1;
  }
  let report: Awaited<ReturnType<typeof parseReport>>;
  try {
    report = await parseReport(raw);
  } catch (error) {
    print(`The message cannot be read: ${(error as Error).message}`);
    return 1;
  }
  if (report.kind === "unknown") {
    print("Not a bounce or complaint report (no delivery-status or feedback-report part): ignored.");
    return 0;
  }
  for (const outcome of await bounces.processReport(report)) print(outcomeLine(outcome));
  return 0;
}

export function registerBounceCommands(program: Command, config: () => Config): void {
  program
    .command("process-bounce")
    .description("read one bounce (DSN) or complaint (ARF) message on standard input and record it")
    .action(async () => {
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
        const { bounces } = createServices(database, { bounces: cfg.bounces });
        process.exitCode = await processBounce(bounces, raw, (line) => console.log(line));
      } finally {
        await database.close();
      }
    });
}
