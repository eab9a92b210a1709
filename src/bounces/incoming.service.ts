/**
 * One message that arrived at the bounce or unsubscribe address, whatever brought it (`postpilot
 * process-bounce` on standard input, the IMAP poller): a DSN or ARF report goes to BounceService; mail to
 * a per-copy unsubscribe address (unsubscribe+TOKEN@domain) unsubscribes that delivery's address (source
 * `mailto`); anything else is `ignored`. The one code path both sources share.
 */
import type { UnsubscribeService } from "../suppression/unsubscribe.service.js";
import { mailtoToken } from "../suppression/unsubscribe-links.js";
import type { BounceOutcome, BounceService } from "./bounces.service.js";
import { parseReport } from "./dsn.js";

export type IncomingResult =
  | { kind: "bounce" | "complaint"; outcomes: BounceOutcome[] }
  | { kind: "unsubscribe"; state: "done" | "used" | "invalid"; mailingName: string | null }
  | { kind: "ignored"; why: string };

export class IncomingMailService {
  constructor(
    private readonly bounces: BounceService,
    private readonly unsubscribe: Pick<UnsubscribeService, "unsubscribe">,
  ) {}

  /**
   * Reads and handles one raw message. `envelopeRecipient`: the address it was delivered to, when the MTA
   * says so (a VERP or unsubscribe token in it wins over the headers). Throws only when the database does.
   */
  async process(raw: Buffer, envelopeRecipient?: string | null): Promise<IncomingResult> {
    let report: Awaited<ReturnType<typeof parseReport>>;
    try {
      report = await parseReport(raw);
    } catch (error) {
      return { kind: "ignored", why: `the message cannot be read: ${(error as Error).message}` };
    }
    if (report.kind !== "unknown") {
      return { kind: report.kind, outcomes: await this.bounces.processReport(report, envelopeRecipient) };
    }
    const token = [envelopeRecipient ?? "", ...report.returnedTo].map(mailtoToken).find((t) => t !== null);
    if (token) {
      const done = await this.unsubscribe.unsubscribe(token, "mailto");
      return {
        kind: "unsubscribe",
        state: done.state,
        mailingName: "mailingName" in done ? (done.mailingName ?? null) : null,
      };
    }
    return {
      kind: "ignored",
      why: "not a bounce or complaint report (no delivery-status or feedback-report part), nor an unsubscribe",
    };
  }
}

/** What one handled message comes to, one line each (CLI, poller's log). */
export function incomingLines(result: IncomingResult): string[] {
  if (result.kind === "ignored")
    return [`${result.why.charAt(0).toUpperCase()}${result.why.slice(1)}: ignored.`];
  if (result.kind === "unsubscribe") {
    const what =
      result.state === "done"
        ? "unsubscribed"
        : result.state === "used"
          ? "already unsubscribed"
          : "unknown token, nothing changed";
    return [`Unsubscribe by email: ${what}${result.mailingName ? ` (${result.mailingName})` : ""}.`];
  }
  return result.outcomes.length > 0 ? result.outcomes.map(outcomeLine) : [`A ${result.kind} naming nobody.`];
}

export function outcomeLine(o: BounceOutcome): string {
  const who = o.email ?? "(no address)";
  const what = o.type ?? "report";
  const where = o.deliveryId === null ? "" : ` on delivery ${o.deliveryId}`;
  const suppressed = o.suppressed ? "; suppressed" : "";
  return `${who}: ${what} ${o.result}${where} (${o.why})${suppressed}`;
}
