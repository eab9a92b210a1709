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

export type Verdict = "sent" | "temporary" | "permanent";

export interface Classified {
  verdict: Verdict;
  code: number | null;
  /** RFC 3463 enhanced status code, "5.1.1", when the reply carried one. */
  enhanced: string | null;
  text: string;
  /**
   * The server as a whole is unreachable or refusing service (connection errors, timeouts, 421, failed
   * login): the circuit breaker counts these, and they do not use up a recipient's tries.
   */
  serverDown: boolean;
}

const MAX_TEXT = 500;

/** Errors about the connection, not about one message: the server is down, slow or misconfigured. */
const CONNECTION_ERRORS = new Set([
  "ECONNECTION",
  "ETIMEDOUT",
  "ESOCKET",
  "EDNS",
  "ETLS",
  "EAUTH",
  "ENOAUTH",
  "EPROXY",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

const REPLY = /^([2-5]\d\d)[ -](?:([2-5]\.\d{1,3}\.\d{1,3})\s)?/;

export function classify(outcome: SendOutcome): Classified {
  const response = clean(outcome.response);
  const parsed = REPLY.exec(response);
  const code = outcome.responseCode ?? (parsed ? Number(parsed[1]) : null);
  const enhanced = parsed?.[2] ?? null;
  const text = response || clean(outcome.message) || outcome.errorCode || "Unknown error";

  if (outcome.ok)
    return { verdict: "sent", code: code ?? 250, enhanced, text: text || "250 OK", serverDown: false };
  if (code !== null && code >= 500) return { verdict: "permanent", code, enhanced, text, serverDown: false };
  // 421: "service not available, closing channel" — the server is shedding load or going down.
  if (code === 421) return { verdict: "temporary", code, enhanced, text, serverDown: true };
  if (code !== null && code >= 400) return { verdict: "temporary", code, enhanced, text, serverDown: false };
  const serverDown = outcome.errorCode !== undefined && CONNECTION_ERRORS.has(outcome.errorCode);
  // No reply at all (timeout, dropped connection, garbage): retry; nothing says the address is bad.
  return { verdict: "temporary", code, enhanced, text, serverDown };
}

function clean(value: string | undefined): string {
  if (!value) return "";
  const oneLine = value.replace(/\s+/g, " ").trim();
  return oneLine.length > MAX_TEXT ? `${oneLine.slice(0, MAX_TEXT - 1)}…` : oneLine;
}
