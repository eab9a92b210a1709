/**
 * Bounces and complaints, whatever brought them (a DSN or ARF report piped to `postpilot process-bounce`,
 * the JSON webhook): one code path matches each to its delivery, records it there, and suppresses the
 * address for the mailing's owner when the rules say so. Hard bounces of type 5.1.x (no such user, bad
 * domain) suppress after `hardLimit`; soft ones after `softLimit` runs in a row; complaints at once.
 */

import type { Database, Executor } from "../db/database.js";
import type { BounceType } from "../db/schema.js";
import { cleanReplyText } from "../delivery/classify.js";
import { NotFoundError, UnauthorizedError, ValidationError } from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { SuppressionRepository } from "../suppression/suppression.repository.js";
import { deliveryBounced, recipientSuppressed, recipientUnsubscribed } from "../webhooks/webhooks.events.js";
import { type BouncedDelivery, BouncesRepository } from "./bounces.repository.js";
import { bounceWebhookSchema } from "./bounces.schemas.js";
import type { BounceReport } from "./dsn.js";
import type { VerpTokens } from "./verp.js";
import { safeEqual } from "./webhook-token.js";

export interface BounceOptions {
  /** Hard bounces (5.1.x) of an address before it is suppressed. */
  hardLimit: number;
  /** Runs in a row with a bounce for an address before it is suppressed. */
  softLimit: number;
  /** BOUNCE_WEBHOOK_TOKEN: the webhook answers 404 while it is unset. */
  webhookToken?: string | undefined;
  /** Reads the VERP token of the address a report came back to (the delivery it is about). */
  verp?: VerpTokens | undefined;
}

/** One bounce or complaint about one address, as every source gives it. */
export interface BounceEvent {
  type: BounceType;
  email: string | null;
  /** The enhanced status (5.1.1), or null. */
  status: string | null;
  text: string | null;
  /** The delivery it is about, when the source names it (the webhook, or our Message-ID). */
  deliveryId: number | null;
  /** With a delivery named by our Message-ID: its run, which must match. */
  runId?: number | null;
  /** Whether a named delivery may have another address (a report about one message, maybe forwarded). */
  trustDelivery: boolean;
}

export type BounceResult = "recorded" | "duplicate" | "unmatched" | "ignored";

export interface BounceOutcome {
  email: string | null;
  type: BounceType | null;
  result: BounceResult;
  deliveryId: number | null;
  /** Whether this report put the address on the owner's suppression list. */
  suppressed: boolean;
  why: string;
}

type BounceReason = "hard_bounce" | "soft_bounce" | "complaint";

/** Deliveries older than this are not matched by address alone. */
const MATCH_WINDOW_MS = 30 * 86_400_000;
const OUR_MESSAGE_ID = /^postpilot\.(\d{1,15})\.(\d{1,15})@/;

export class BounceService {
  constructor(
    private readonly database: Database,
    private readonly options: BounceOptions,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * A parsed report (DSN or ARF): one outcome per recipient it names; none for a message that is not one.
   * The delivery is the one the VERP address it came back to names (the envelope recipient, when the MTA
   * gives it, or its Delivered-To / X-Original-To / To), else the one our Message-ID in it names.
   */
  async processReport(report: BounceReport, envelopeRecipient?: string | null): Promise<BounceOutcome[]> {
    if (report.kind === "unknown") return [];
    const named = this.verpDelivery(report, envelopeRecipient) ?? ourMessageId(report.originalMessageId);
    if (report.kind === "complaint") {
      return [
        await this.process({
          type: "complaint",
          email: report.originalRcptTo,
          status: null,
          text: `Complaint (${report.feedbackType})`,
          deliveryId: named?.deliveryId ?? null,
          runId: named?.runId ?? null,
          trustDelivery: true,
        }),
      ];
    }
    const failed = report.recipients.filter((r) => r.action === "failed");
    const outcomes: BounceOutcome[] = [];
    for (const r of report.recipients) {
      if (r.action !== "failed") {
        outcomes.push(ignored(r.finalRecipient, `action ${r.action || "missing"}: not a bounce`));
        continue;
      }
      const permanent = r.status ? r.status.startsWith("5") : /^5\d\d\b/.test(r.diagnostic ?? "");
      outcomes.push(
        await this.process({
          type: permanent ? "hard" : "soft",
          email: r.finalRecipient,
          status: r.status || null,
          text: r.diagnostic,
          deliveryId: named?.deliveryId ?? null,
          runId: named?.runId ?? null,
          trustDelivery: failed.length === 1,
        }),
      );
    }
    return outcomes;
  }

  /** The delivery a VERP address names (the run is then not checked: the token is the proof). */
  private verpDelivery(
    report: BounceReport,
    envelopeRecipient: string | null | undefined,
  ): { runId: null; deliveryId: number } | null {
    const verp = this.options.verp;
    if (!verp) return null;
    for (const address of [envelopeRecipient ?? "", ...report.returnedTo]) {
      const deliveryId = verp.deliveryOf(address);
      if (deliveryId !== null) return { runId: null, deliveryId };
    }
    return null;
  }

  /** The webhook's JSON body (already authenticated). */
  processWebhook(body: unknown): Promise<BounceOutcome> {
    const input = parseInput(bounceWebhookSchema, body);
    return this.process(
      {
        type: input.type,
        email: input.email,
        status: /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(input.reason)?.[1] ?? null,
        text: input.reason || null,
        deliveryId: input.delivery_id ?? null,
        trustDelivery: false,
      },
      true,
    );
  }

  /** Checks the webhook's bearer token in constant time: 404 while no token is configured, else 401. */
  authenticateWebhook(authorization: string | undefined): void {
    const expected = this.options.webhookToken;
    if (!expected) throw new NotFoundError("Bounce webhook not configured");
    const given = /^Bearer +([\x21-\x7e]+)$/i.exec(authorization ?? "")?.[1] ?? "";
    if (!safeEqual(given, expected)) {
      throw new UnauthorizedError("Send the bounce webhook token as Authorization: Bearer <token>.");
    }
  }

  /**
   * The worker's own permanent failures of a finished run: an address refused at RCPT with 5.1.x counts as a
   * hard bounce. Returns the addresses this suppressed.
   */
  async suppressHardFailures(runId: number): Promise<string[]> {
    const failures = await new BouncesRepository(this.database.db).hardFailuresOf(runId);
    const suppressed: string[] = [];
    for (const d of failures) {
      const done = await this.database.db.transaction().execute(async (tx) => {
        const repo = new BouncesRepository(tx);
        if ((await repo.hardCount(d.ownerId, d.email)) < this.options.hardLimit) return false;
        return this.suppress(tx, d, "hard_bounce", "bounce", "Refused at RCPT (5.1.x)");
      });
      if (done) suppressed.push(d.email);
    }
    return suppressed;
  }

  /** The one code path: match, record, apply the rules, in one transaction. */
  async process(event: BounceEvent, strict = false): Promise<BounceOutcome> {
    const base = { email: event.email, type: event.type };
    const delivery = await this.match(event, strict);
    if (!delivery) {
      return { ...base, result: "unmatched", deliveryId: null, suppressed: false, why: "no delivery found" };
    }
    const at = iso(this.clock.now());
    const text = event.text ? cleanReplyText(event.text) : null;
    return this.database.db.transaction().execute(async (tx) => {
      const repo = new BouncesRepository(tx);
      const outcome = { ...base, email: delivery.email, deliveryId: delivery.deliveryId };
      if (!(await repo.record(delivery.deliveryId, { type: event.type, status: event.status, text, at }))) {
        return { ...outcome, result: "duplicate", suppressed: false, why: "already recorded" } as const;
      }
      await deliveryBounced(tx, delivery, { type: event.type, status: event.status, text }, this.clock.now());
      const why = await this.rule(repo, delivery, event);
      const suppressed = why.suppress
        ? await this.suppress(
            tx,
            delivery,
            why.reason,
            event.type === "complaint" ? "complaint" : "bounce",
            why.text,
          )
        : false;
      return { ...outcome, result: "recorded", suppressed, why: why.text } as const;
    });
  }

  private async rule(
    repo: BouncesRepository,
    d: BouncedDelivery,
    event: BounceEvent,
  ): Promise<{ suppress: boolean; reason: BounceReason; text: string }> {
    const { hardLimit, softLimit } = this.options;
    if (event.type === "complaint") return { suppress: true, reason: "complaint", text: "complaint" };
    if (event.type === "hard" && (event.status === null || event.status.startsWith("5.1."))) {
      const n = await repo.hardCount(d.ownerId, d.email);
      return { suppress: n >= hardLimit, reason: "hard_bounce", text: `hard bounce ${n} of ${hardLimit}` };
    }
    const last = await repo.lastBounceTypes(d.ownerId, d.email, softLimit);
    const inARow = last.indexOf(null);
    const n = inARow === -1 ? last.length : inARow;
    return {
      suppress: n >= softLimit,
      reason: "soft_bounce",
      text: `${event.type} bounce (${event.status ?? "no status"}): ${n} of ${softLimit} runs in a row`,
    };
  }

  /** Puts the address on the owner's list (kept as it is when already there); complaints also unsubscribe. */
  private async suppress(
    tx: Executor,
    d: BouncedDelivery,
    reason: BounceReason,
    source: "bounce" | "complaint",
    comment: string,
  ): Promise<boolean> {
    const repo = new SuppressionRepository(tx);
    const at = iso(this.clock.now());
    if (reason === "complaint" && (await repo.recordUnsubscribe({ ...d }, "complaint", at))) {
      await recipientUnsubscribed(tx, { ...d, source: "complaint" }, this.clock.now());
    }
    const added = await repo.insert(
      { id: d.ownerId, role: "user" },
      {
        email: d.email,
        email_normalized: normalizeEmail(d.email),
        reason,
        source,
        delivery_id: d.deliveryId,
        run_id: d.runId,
        mailing_id: d.mailingId,
        comment: comment.slice(0, 500),
        created_at: at,
      },
    );
    if (added) await recipientSuppressed(tx, added, this.clock.now());
    return added !== undefined;
  }

  private async match(event: BounceEvent, strict: boolean): Promise<BouncedDelivery | undefined> {
    const repo = new BouncesRepository(this.database.db);
    const email = event.email ? normalizeEmail(event.email) : null;
    if (event.deliveryId !== null) {
      const found = await repo.findById(event.deliveryId);
      const named = found && (event.runId == null || found.runId === event.runId) ? found : undefined;
      if (named && (email === null || normalizeEmail(named.email) === email || event.trustDelivery))
        return named;
      if (strict)
        throw new ValidationError({ delivery_id: "No delivery with this id was sent to this address." });
    }
    if (email === null) return undefined;
    // By address alone only when it is unambiguous: the recent deliveries to it are one owner's.
    const since = iso(new Date(this.clock.now().getTime() - MATCH_WINDOW_MS));
    const recent = await repo.recentTo(email, since, 50);
    const owners = new Set(recent.map((r) => r.ownerId));
    return owners.size === 1 ? recent[0] : undefined;
  }
}

/** The run and delivery our Message-ID names (postpilot.<run>.<delivery>@domain, see messageIdFor), or null. */
export function ourMessageId(messageId: string | null): { runId: number | null; deliveryId: number } | null {
  const match = messageId ? OUR_MESSAGE_ID.exec(messageId) : null;
  return match ? { runId: Number(match[1]), deliveryId: Number(match[2]) } : null;
}

function ignored(email: string, why: string): BounceOutcome {
  return { email, type: null, result: "ignored", deliveryId: null, suppressed: false, why };
}
