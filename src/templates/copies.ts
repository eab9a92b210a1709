/**
 * The engine's CopyBuilder for real mailings: each run's message as its snapshot says (format, layout,
 * sender), compiled once per run (compile.ts), each copy rendered for its recipient and wrapped in the MIME
 * skeleton encoded once (mime.ts). A plain-text message without Liquid (the common fast case) keeps the
 * engine's stamped copies (delivery/message.ts) and only gains the recipient's name in To. A template that
 * cannot be compiled (saved before templates were checked) goes out as the literal text it is: a run never
 * fails half-way on a template.
 */
import { DateTime } from "luxon";
import type { Db } from "../db/database.js";
import { plainCopies } from "../delivery/copies.js";
import {
  envelopeAddress,
  listHeaders,
  prepareMessage,
  UNSUBSCRIBE_PLACEHOLDER,
  unsubscribeExtras,
} from "../delivery/message.js";
import type { ClaimedDelivery, CopyBuilder, PreparedCopies, UnsubscribeLinks } from "../delivery/ports.js";
import { type CompiledMessage, compileMessage, type MessageFormat, type TemplateContext } from "./compile.js";
import { formatAddress, MimeSkeleton } from "./mime.js";
import { type RecipientRow, RecipientValues } from "./recipient-values.js";
import type { ViewLinks } from "./view-links.js";

export interface TemplateCopiesDeps {
  db: Db;
  /** SMTP_FROM: the From of mailings without a sender identity. */
  from: string;
  unsubscribe: UnsubscribeLinks | undefined;
  view: ViewLinks | undefined;
  now: () => Date;
}

export interface RunMessage {
  mailingId: number;
  ownerId: number;
  mailingName: string;
  timeZone: string;
  subject: string;
  body: string;
  format: MessageFormat | null;
  layoutHtml: string | null;
  layoutText: string | null;
  fromHeader: string | null;
  replyTo: string | null;
  postalAddress: string | null;
}

export class TemplateCopies implements CopyBuilder {
  private readonly recipients: RecipientValues;

  constructor(private readonly deps: TemplateCopiesDeps) {
    this.recipients = new RecipientValues(deps.db);
  }

  async prepare(runId: number): Promise<PreparedCopies | undefined> {
    const run = await runMessage(this.deps.db, runId);
    if (!run) return undefined;
    const from = run.fromHeader ?? this.deps.from;
    const known = new Map<number, RecipientRow>();
    // Custom fields cost more queries per batch: read only for templates that can name them.
    const templates = `${run.subject}${run.body}${run.layoutHtml ?? ""}${run.layoutText ?? ""}`;
    const fieldsOf = /\bfields\b/.test(templates) ? run.ownerId : undefined;
    const load = async (deliveries: ClaimedDelivery[]) => {
      const ids = deliveries.map((d) => d.id);
      for (const row of await this.recipients.forDeliveries(ids, fieldsOf)) known.set(row.deliveryId, row);
    };
    const toOf = (d: { id: number; email: string }) =>
      formatAddress(known.get(d.id)?.fullName ?? "", d.email);
    const headers = listHeaders(run.mailingId, from, this.deps.unsubscribe !== undefined);
    const replyTo: Record<string, string> = run.replyTo ? { "Reply-To": run.replyTo } : {};

    const compiled = isStaticText(run) ? null : compileRun(run, this.deps.unsubscribe?.footer);
    if (!compiled) {
      const message = await prepareMessage({
        from,
        subject: run.subject,
        body: run.body,
        date: this.deps.now(),
        headers: { ...replyTo, ...headers },
        ...(this.deps.unsubscribe ? { unsubscribeFooter: this.deps.unsubscribe.footer } : {}),
      });
      const copies = plainCopies(
        message,
        run.subject,
        from,
        this.deps.unsubscribe,
        (d) => {
          const name = toOf(d);
          known.delete(d.id);
          return name;
        },
        load,
      );
      return copies;
    }

    const skeleton = new MimeSkeleton({ from, replyTo: run.replyTo, date: this.deps.now(), headers });
    const base = baseContextOf(run, from, this.deps.now());
    return {
      subject: run.subject,
      fromHeader: from,
      envelopeFrom: envelopeAddress(from),
      load,
      copy: (delivery, messageId) => {
        const row = known.get(delivery.id);
        known.delete(delivery.id);
        const links = this.deps.unsubscribe?.linksFor(delivery.id);
        const context = contextFor(
          base,
          delivery.email,
          row,
          links?.url ?? "",
          this.deps.view?.urlFor(delivery.id) ?? "",
        );
        const extra = links ? unsubscribeExtras(links).headers : "";
        return skeleton.copy(
          { to: formatAddress(row?.fullName ?? "", delivery.email), messageId, extra },
          compiled.render(context),
        );
      },
    };
  }
}

/** A run's message snapshot with its mailing's name and zone. */
export function runMessage(db: Db, runId: number): Promise<RunMessage | undefined> {
  return db
    .selectFrom("runs")
    .innerJoin("mailings", "mailings.id", "runs.mailing_id")
    .select([
      "runs.mailing_id as mailingId",
      "mailings.name as mailingName",
      "mailings.time_zone as timeZone",
      "mailings.owner_id as ownerId",
      "runs.subject",
      "runs.body",
      "runs.format",
      "runs.layout_html as layoutHtml",
      "runs.layout_text as layoutText",
      "runs.from_header as fromHeader",
      "runs.reply_to as replyTo",
      "runs.postal_address as postalAddress",
    ])
    .where("runs.id", "=", runId)
    .executeTakeFirst();
}

/** Plain text with no Liquid but the unsubscribe placeholder, and no layout: the stamped fast path. */
function isStaticText(run: RunMessage): boolean {
  if (run.format === null) return true;
  if (run.format !== "text" || run.layoutHtml !== null) return false;
  const rest = (run.subject + run.body).replaceAll(UNSUBSCRIBE_PLACEHOLDER, "");
  return !/\{\{|\{%/.test(rest);
}

/** The run's snapshot compiled, or null when it cannot be (saved before templates were checked). */
export function compileRun(run: RunMessage, footer: string | undefined): CompiledMessage | null {
  try {
    return compileMessage({
      format: run.format ?? "text",
      subject: run.subject,
      body: run.body,
      layout:
        run.layoutHtml !== null ? { html: run.layoutHtml, text: run.layoutText ?? "{{ content }}" } : null,
      unsubscribeFooter: footer,
    });
  } catch {
    return null;
  }
}

type BaseContext = Omit<TemplateContext, "recipient" | "unsubscribe_url" | "view_in_browser_url">;

export function baseContextOf(run: RunMessage, from: string, now: Date): BaseContext {
  return {
    mailing: { name: run.mailingName },
    sender: senderOf(from, run.postalAddress ?? ""),
    now: DateTime.fromJSDate(now).setZone(run.timeZone).toISO() ?? now.toISOString(),
  };
}

export function contextFor(
  base: BaseContext,
  email: string,
  row: RecipientRow | undefined,
  unsubscribeUrl: string,
  viewUrl: string,
): TemplateContext {
  return {
    ...base,
    recipient: recipientOf(email, row?.fullName ?? "", row?.comment ?? "", row?.fields ?? {}),
    unsubscribe_url: unsubscribeUrl,
    view_in_browser_url: viewUrl,
  };
}

/** What `sender.*` is for a From header value: its display name (else the address), address, postal address. */
export function senderOf(from: string, postalAddress: string): TemplateContext["sender"] {
  const email = envelopeAddress(from);
  const name = /^\s*"?([^"<]*?)"?\s*</.exec(from)?.[1]?.trim() || email;
  return { name, email, postal_address: postalAddress };
}

/** What `recipient.*` is; the first name is the full name's first word. */
export function recipientOf(
  email: string,
  fullName: string,
  comment: string,
  fields: TemplateContext["recipient"]["fields"],
): TemplateContext["recipient"] {
  return { email, full_name: fullName, first_name: fullName.trim().split(/\s+/)[0] ?? "", comment, fields };
}
