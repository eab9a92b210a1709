/**
 * Turns what the mail server (or the socket) said into what happens to a delivery: sent, retried later,
 * or failed for good, and whether the failure says the server itself is unreachable. Pure.
 */

import type { AttemptStage } from "../db/schema.js";

export type { AttemptStage };

/** What a mailer reports for one message: the server's reply, or the error it threw. */
export interface SendOutcome {
  ok: boolean;
  /**
   * The SMTP stage that produced the reply or the error: connect, greeting, ehlo, starttls, auth and mail
   * are about the relay or the configuration; only rcpt and data judge the recipient. "local": the outbox.
   */
  stage: AttemptStage;
  /** The message body had started to go out (DATA was accepted) when the connection was lost. */
  dataStarted?: boolean | undefined;
  /** Which relay answered: host:port, or "outbox". */
  relay?: string | undefined;
  /** The full SMTP reply line(s) when there was one ("250 2.0.0 Ok: queued as 12AB"). */
  response?: string | undefined;
  /** The SMTP reply code when there was one. */
  responseCode?: number | undefined;
  /** nodemailer's or Node's error code ("ECONNECTION", "ETIMEDOUT", "ECONNREFUSED", "EENVELOPE"…). */
  errorCode?: string | undefined;
  /** The error's message when there was no reply. */
  message?: string | undefined;
}

/**
 * sent; temporary (a recipient's try used, tried again later); permanent (failed for good); relay (the
 * relay's or the configuration's problem, found before the recipient was judged: no try used, never fails).
 */
export type Verdict = "sent" | "temporary" | "permanent" | "relay";

/**
 * What the reply says about the server as a whole, for the circuit breaker: "trip" (it is down or refusing
 * service: counts every time), "suspect" (it choked on this message or this session: counts once per
 * delivery, so one bad message retried alone never pauses everyone), "clear" (it is working).
 */
export type ServerSignal = "trip" | "suspect" | "clear";

export interface Classified {
  verdict: Verdict;
  stage: AttemptStage;
  code: number | null;
  /** RFC 3463 enhanced status code, "5.1.1", when the reply carried one. */
  enhanced: string | null;
  text: string;
  /** Whether this try counts against SEND_MAX_TRIES (only replies that judged the recipient do). */
  usesTry: boolean;
  server: ServerSignal;
  relay: string | null;
}

/** The longest reply text kept; longer ones are cut with an ellipsis. */
export const MAX_REPLY_TEXT = 500;

/** Stages before the recipient is judged: whatever goes wrong there is about the relay or the config. */
const RELAY_STAGES = new Set<AttemptStage>(["connect", "greeting", "ehlo", "starttls", "auth", "mail"]);

const REPLY = /^([2-5]\d\d)[ -](?:([2-5]\.\d{1,3}\.\d{1,3})\s)?/;

export function classify(outcome: SendOutcome): Classified {
  const response = cleanReplyText(outcome.response);
  const parsed = REPLY.exec(response);
  const code = outcome.responseCode ?? (parsed ? Number(parsed[1]) : null);
  const enhanced = parsed?.[2] ?? null;
  const text = response || cleanReplyText(outcome.message) || outcome.errorCode || "Unknown error";
  const base = { stage: outcome.stage, code, enhanced, text, relay: outcome.relay ?? null };

  if (outcome.ok) return { ...base, verdict: "sent", code: code ?? 250, usesTry: true, server: "clear" };
  // The local outbox could not store the message: the database's problem, not the recipient's.
  if (outcome.stage === "local" && code === null)
    return { ...base, verdict: "relay", usesTry: false, server: "trip" };
  if (RELAY_STAGES.has(outcome.stage)) return { ...base, verdict: "relay", usesTry: false, server: "trip" };
  // 421: "service not available, closing channel": the server is shedding load; the retry costs no try.
  if (code === 421) return { ...base, verdict: "temporary", usesTry: false, server: "trip" };
  // 452 4.5.3 "too many recipients": a per-session limit. A fresh connection will take it; no try used.
  if (isTooManyRecipients(code, text))
    return { ...base, verdict: "temporary", usesTry: false, server: "suspect" };
  if (code !== null && code >= 500) return { ...base, verdict: "permanent", usesTry: true, server: "clear" };
  if (code !== null && code >= 400) return { ...base, verdict: "temporary", usesTry: true, server: "clear" };
  // No reply at all. Once the body had started to go out, the server may be choking on this message:
  // that is a try (a message it can never take must end failed), and only "suspect" for the breaker.
  if (outcome.dataStarted) return { ...base, verdict: "temporary", usesTry: true, server: "suspect" };
  // Lost before the message was handed over (or a timeout waiting for RCPT's reply): the relay's problem.
  return { ...base, verdict: "relay", usesTry: false, server: "trip" };
}

/**
 * 452 with 4.5.3 (or its words) "too many recipients": this session takes no more recipients; a fresh one
 * will. The mailer drops the connection on it, and it costs no try.
 */
export function isTooManyRecipients(code: number | null | undefined, reply: string | undefined): boolean {
  return code === 452 && /^452[ -]4\.5\.3\b|too many recipients/i.test(reply ?? "");
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Makes a reply safe to store and show: one line, control characters (NUL included, which PostgreSQL
 * refuses in text) replaced, lone surrogates replaced, and at most MAX_REPLY_TEXT characters.
 */
export function cleanReplyText(value: string | undefined | null): string {
  if (!value) return "";
  const oneLine = value
    // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, "\ufffd")
    .replace(LONE_SURROGATE, "\ufffd")
    .replace(/\s+/g, " ")
    .trim();
  return oneLine.length > MAX_REPLY_TEXT ? `${oneLine.slice(0, MAX_REPLY_TEXT - 1)}…` : oneLine;
}
