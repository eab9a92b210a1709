/**
 * A stored outbox message as the admin reads it (issue 16, "like Mailpit"): raw MIME → decoded headers,
 * the HTML and text parts, the attachments; and the text part cut into plain runs and http(s) links. Pure
 * apart from postal-mime; the pages escape everything this returns.
 */
import PostalMime, { type Address, decodeWords } from "postal-mime";

export interface OutboxAttachment {
  /** Its place among the message's attachments, from 0: the download route's :n. */
  index: number;
  /** The name to show (decoded; "attachment-N" when the message gives none). */
  name: string;
  /** A file name safe to put in a Content-Disposition header and on a disk. */
  safeName: string;
  mimeType: string;
  size: number;
  content: Uint8Array;
}

export interface OutboxView {
  subject: string;
  from: string;
  to: string;
  cc: string;
  replyTo: string;
  /** The Date header as an ISO timestamp (UTC), or null when missing or not a date. */
  date: string | null;
  messageId: string;
  listUnsubscribe: string;
  /** Every header in order, its value with RFC 2047 words decoded. */
  headers: { name: string; value: string }[];
  html: string | null;
  text: string | null;
  attachments: OutboxAttachment[];
}

const header = (headers: { key: string; value: string }[], key: string) =>
  decodeWords(headers.find((h) => h.key === key)?.value ?? "").trim();

/** "Anna <ann@example.com>, bob@example.com"; a group's members are listed under its name. */
export function formatAddresses(addresses: Address[] | Address | undefined): string {
  const list = addresses === undefined ? [] : Array.isArray(addresses) ? addresses : [addresses];
  return list
    .map((a) =>
      a.group
        ? `${a.name}: ${formatAddresses(a.group)};`
        : a.name && a.name !== a.address
          ? `${a.name} <${a.address}>`
          : a.address,
    )
    .join(", ");
}

/** Parses a stored message; a part postal-mime cannot read is simply missing from the view. */
export async function outboxView(raw: string): Promise<OutboxView> {
  const email = await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer" });
  const date = email.date ? new Date(email.date) : null;
  return {
    subject: email.subject ?? header(email.headers, "subject"),
    from: formatAddresses(email.from),
    to: formatAddresses(email.to),
    cc: formatAddresses(email.cc),
    replyTo: formatAddresses(email.replyTo),
    date: date && !Number.isNaN(date.getTime()) ? date.toISOString() : null,
    messageId: email.messageId ?? "",
    listUnsubscribe: header(email.headers, "list-unsubscribe"),
    headers: email.headers.map((h) => ({ name: h.originalKey, value: decodeWords(h.value) })),
    html: email.html ?? null,
    text: email.text ?? null,
    attachments: email.attachments.map((a, index) => {
      const content =
        typeof a.content === "string"
          ? new TextEncoder().encode(a.content)
          : a.content instanceof Uint8Array
            ? a.content
            : new Uint8Array(a.content);
      const name = a.filename?.trim() || `attachment-${index + 1}`;
      return {
        index,
        name,
        safeName: safeFilename(name, index),
        mimeType: a.mimeType.toLowerCase(),
        size: content.byteLength,
        content,
      };
    }),
  };
}

/**
 * A file name that cannot break a header or reach another folder: no path, no control or quote
 * characters, no leading dots, at most 100 characters; "attachment-N" when nothing is left.
 */
export function safeFilename(name: string, index = 0): string {
  const base = name.split(/[/\\]/).pop() ?? "";
  const cleaned = base
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f"*:<>?|\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "_")
    .replace(/^[.\s]+/, "")
    .trim();
  const safe = Array.from(cleaned).slice(0, 100).join("");
  return safe === "" ? `attachment-${index + 1}` : safe;
}

/** The ASCII stand-in of a safe file name, for the plain `filename=` of a Content-Disposition header. */
export function asciiFilename(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._ -]/g, "_");
  return /[A-Za-z0-9]/.test(ascii) ? ascii : "attachment";
}

/** A Content-Disposition for downloading: `attachment`, an ASCII name and the UTF-8 name (RFC 6266). */
export function attachmentDisposition(safeName: string): string {
  return `attachment; filename="${asciiFilename(safeName)}"; filename*=UTF-8''${encodeURIComponent(safeName)}`;
}

export type TextPiece = { text: string } | { text: string; href: string };

/**
 * The text part cut into plain runs and links. Only http:// and https:// URLs become links (never
 * javascript:, data: or any other scheme); closing punctuation after a URL stays outside it.
 */
export function linkify(text: string): TextPiece[] {
  const pieces: TextPiece[] = [];
  let last = 0;
  for (const match of text.matchAll(/\bhttps?:\/\/[^\s<>"'`]+/gi)) {
    let url = match[0];
    const trailing = /[.,;:!?)\]}]+$/.exec(url)?.[0] ?? "";
    url = url.slice(0, url.length - trailing.length);
    if (!isHttpUrl(url)) continue;
    const start = match.index;
    if (start > last) pieces.push({ text: text.slice(last, start) });
    pieces.push({ text: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });
  return pieces;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}
