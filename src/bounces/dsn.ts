/**
 * Reads a bounce or complaint report: a DSN (RFC 3464, multipart/report with message/delivery-status) or
 * an ARF feedback report (RFC 5965, message/feedback-report). postal-mime splits the MIME parts; the
 * report's own fields are read by the small parser below. Pure apart from postal-mime.
 */
import PostalMime from "postal-mime";

export interface DsnRecipient {
  /** The address the report is about (Final-Recipient, else Original-Recipient), without "rfc822;". */
  finalRecipient: string;
  /** failed, delayed, delivered, relayed or expanded. */
  action: string;
  /** The enhanced status code (RFC 3463), such as 5.1.1, or "" when the report gives none. */
  status: string;
  /** The remote server's reply (Diagnostic-Code without its "smtp;" type), or null. */
  diagnostic: string | null;
}

/** What every message says about where it arrived: where a VERP token or a mailto token is found. */
export interface Arrival {
  /** The addresses it came to: Delivered-To, X-Original-To, To, Cc (the envelope recipient is passed apart). */
  returnedTo: string[];
  subject: string;
}

export type BounceReport = Arrival &
  (
    | { kind: "bounce"; recipients: DsnRecipient[]; originalMessageId: string | null }
    | {
        kind: "complaint";
        feedbackType: string;
        originalRcptTo: string | null;
        originalMessageId: string | null;
      }
    | { kind: "unknown" }
  );

const ARRIVAL_HEADERS = new Set(["delivered-to", "x-original-to", "envelope-to"]);

const DELIVERY_STATUS = new Set(["message/delivery-status", "message/global-delivery-status"]);
const FEEDBACK_REPORT = "message/feedback-report";
const ORIGINAL_HEADERS = new Set([
  "message/rfc822",
  "message/global",
  "text/rfc822-headers",
  "message/rfc822-headers",
  "message/global-headers",
]);

/** Parses a raw message; anything that is not a DSN or an ARF report is { kind: "unknown" }. */
export async function parseReport(raw: Buffer | string): Promise<BounceReport> {
  const email = await PostalMime.parse(raw, { attachmentEncoding: "utf8", forceRfc822Attachments: true });
  const arrival: Arrival = {
    returnedTo: [
      ...email.headers.filter((h) => ARRIVAL_HEADERS.has(h.key)).map((h) => typedValue(h.value)),
      ...[...(email.to ?? []), ...(email.cc ?? [])].flatMap((a) => (a.address ? [a.address] : [])),
    ],
    subject: email.subject ?? "",
  };
  const parts = email.attachments.map((a) => ({ type: a.mimeType.toLowerCase(), text: String(a.content) }));
  const original = parts.find((p) => ORIGINAL_HEADERS.has(p.type));
  const originalHeaders = original ? headerFields(original.text) : new Map<string, string>();
  const originalMessageId = messageId(originalHeaders.get("message-id"));

  const status = parts.find((p) => DELIVERY_STATUS.has(p.type));
  if (status) {
    const recipients = fieldGroups(status.text)
      .filter((g) => g.has("final-recipient") || g.has("original-recipient"))
      .map(recipientOf)
      .filter((r) => r.finalRecipient !== "");
    if (recipients.length > 0) return { ...arrival, kind: "bounce", recipients, originalMessageId };
  }

  const feedback = parts.find((p) => p.type === FEEDBACK_REPORT);
  if (feedback) {
    const fields = fieldGroups(feedback.text)[0] ?? new Map<string, string>();
    const rcpt = fields.get("original-rcpt-to") ?? firstAddress(originalHeaders.get("to"));
    return {
      ...arrival,
      kind: "complaint",
      feedbackType: (fields.get("feedback-type") ?? "other").toLowerCase(),
      originalRcptTo: rcpt ? typedValue(rcpt) : null,
      originalMessageId: originalMessageId ?? messageId(fields.get("original-message-id")),
    };
  }
  return { ...arrival, kind: "unknown" };
}

function recipientOf(group: Map<string, string>): DsnRecipient {
  const address = group.get("final-recipient") ?? group.get("original-recipient") ?? "";
  const diagnostic = group.get("diagnostic-code");
  return {
    finalRecipient: typedValue(address),
    action: (group.get("action") ?? "").toLowerCase().split(/[\s(]/)[0] ?? "",
    status: /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(group.get("status") ?? "")?.[1] ?? "",
    diagnostic: diagnostic ? typedValue(diagnostic) : null,
  };
}

/**
 * The fields of a delivery-status or feedback-report body: groups separated by blank lines (RFC 3464 §2.1:
 * the per-message fields, then one group per recipient), folded lines joined, names lower-cased. A field
 * repeated in a group keeps its first value.
 */
export function fieldGroups(text: string): Map<string, string>[] {
  const groups: Map<string, string>[] = [];
  let group = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") {
      if (group.size > 0) groups.push(group);
      group = new Map();
      last = null;
      continue;
    }
    if (/^[ \t]/.test(line)) {
      if (last !== null) group.set(last, `${group.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (group.has(name)) {
      last = null;
      continue;
    }
    group.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  if (group.size > 0) groups.push(group);
  return groups;
}

/** The header fields of a message (or of its headers alone): everything before the first blank line. */
function headerFields(text: string): Map<string, string> {
  const end = text.search(/\r?\n\r?\n/);
  return fieldGroups(end === -1 ? text : text.slice(0, end))[0] ?? new Map();
}

/** "rfc822; ann@example.com" → "ann@example.com"; "smtp; 550 …" → "550 …"; a value without a type as is. */
function typedValue(value: string): string {
  const match = /^\s*[A-Za-z0-9-]+\s*;\s*(.*)$/s.exec(value);
  return (match ? match[1]! : value).trim().replace(/^<(.*)>$/, "$1");
}

function messageId(value: string | undefined): string | null {
  const id = value ? (/<([^<>\s]+)>/.exec(value)?.[1] ?? value.trim()) : "";
  return id === "" ? null : id;
}

function firstAddress(value: string | undefined): string | null {
  if (!value) return null;
  return /<([^<>\s]+@[^<>\s]+)>/.exec(value)?.[1] ?? /[^\s,<>"]+@[^\s,<>"]+/.exec(value)?.[0] ?? null;
}
