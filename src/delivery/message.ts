/**
 * Builds a run's email once and stamps it per recipient: the body and common headers are encoded a single
 * time; each recipient's copy only adds its own To and Message-ID, and (with unsubscribe links) its
 * List-Unsubscribe header and its link in the body. No I/O.
 */
import addressparser from "nodemailer/lib/addressparser";
import MailComposer from "nodemailer/lib/mail-composer";

/** Where a message's author wants the unsubscribe link; without it, the run's footer is appended. */
export const UNSUBSCRIBE_PLACEHOLDER = "{{unsubscribe_url}}";
/**
 * Stands for the link in the encoded body. Letters and digits only, so quoted-printable never escapes it
 * (it may only fold it with soft line breaks, which the search allows for).
 */
const LINK_MARKER = "PPxUNSUBSCRIBExLINKx7Qm4";
const QP_LINE = 76;

export interface PreparedMessage {
  /** The raw RFC 5322 message for one recipient. */
  forRecipient(to: string, messageId: string, extras?: CopyExtras): Buffer;
}

/** What one copy adds besides To and Message-ID. */
export interface CopyExtras {
  /** Complete header lines of this copy only, each ending in CRLF (see unsubscribeExtras). */
  headers: string;
  /** Put where the body's link marker is (only with MessageContent.unsubscribeFooter). */
  unsubscribeUrl: string;
}

export interface MessageContent {
  from: string;
  subject: string;
  body: string;
  date: Date;
  /** Headers common to the run's copies (List-Id, List-Unsubscribe-Post), encoded once with the rest. */
  headers?: Record<string, string>;
  /**
   * When set, every copy's body carries its unsubscribe link: at UNSUBSCRIBE_PLACEHOLDER, or, when the
   * body has none, in this footer (its own placeholder marks the link) appended after a blank line.
   */
  unsubscribeFooter?: string;
}

export async function prepareMessage(content: MessageContent): Promise<PreparedMessage> {
  const withLink = content.unsubscribeFooter !== undefined;
  const text = withLink ? withLinkMarker(content.body, content.unsubscribeFooter!) : content.body;
  const composer = new MailComposer({
    from: content.from,
    subject: content.subject,
    // Bare LF in the source text becomes CRLF, as SMTP requires.
    text: text.replace(/\r?\n/g, "\r\n"),
    date: content.date,
    ...(content.headers ? { headers: content.headers } : {}),
    // Never base64 (which would hide the marker): quoted-printable, or 7bit for short ASCII lines.
    ...(withLink ? { textEncoding: "quoted-printable" } : {}),
  });
  const built = await composer.compile().build();
  const common = withoutHeader(built, "message-id");
  const body = withLink ? splitAtMarkers(common) : null;
  return {
    forRecipient(to, messageId, extras) {
      if (/[\r\n]/.test(to) || /[\r\n<>]/.test(messageId)) throw new Error("Invalid address or Message-ID");
      const head = Buffer.from(`To: ${to}\r\nMessage-ID: <${messageId}>\r\n${extras?.headers ?? ""}`);
      if (!body) return Buffer.concat([head, common]);
      if (!extras) throw new Error("This run's copies need their unsubscribe link");
      return Buffer.concat([head, ...body.fill(extras.unsubscribeUrl)]);
    },
  };
}

/**
 * The List-Unsubscribe header of one copy (RFC 2369; the https URL first, which RFC 8058 one-click uses),
 * folded so each line stays short. URLs with spaces, CR/LF or angle brackets are refused.
 */
export function unsubscribeExtras(links: { url: string; mailto: string | null }): CopyExtras {
  const uris = [links.url, ...(links.mailto ? [links.mailto] : [])];
  if (uris.some((u) => !/^[\x21-\x7e]+$/.test(u) || /[<>]/.test(u)))
    throw new Error("Invalid unsubscribe link");
  return {
    headers: `List-Unsubscribe: ${uris.map((u) => `<${u}>`).join(",\r\n ")}\r\n`,
    unsubscribeUrl: links.url,
  };
}

function withLinkMarker(body: string, footer: string): string {
  if (body.includes(UNSUBSCRIBE_PLACEHOLDER)) return body.replaceAll(UNSUBSCRIBE_PLACEHOLDER, LINK_MARKER);
  const foot = footer.includes(UNSUBSCRIBE_PLACEHOLDER)
    ? footer.replaceAll(UNSUBSCRIBE_PLACEHOLDER, LINK_MARKER)
    : `${footer} ${LINK_MARKER}`;
  return `${body.replace(/\s+$/, "")}\n\n${foot}\n`;
}

/**
 * The built message cut at each link marker, with what a substitution needs to keep quoted-printable
 * valid: the column the marker starts at and the length of the rest of its line. Built once per run; a
 * copy then costs a few small buffers.
 */
function splitAtMarkers(message: Buffer) {
  // Quoted-printable and 7bit output are ASCII: latin1 maps each byte to one char and back.
  const text = message.toString("latin1");
  const headerEnd = text.indexOf("\r\n\r\n");
  const qp = /^content-transfer-encoding:\s*quoted-printable/im.test(text.slice(0, headerEnd));
  const pattern = new RegExp(LINK_MARKER.split("").join("(?:=\r\n)?"), "g");
  const pieces: Buffer[] = [];
  const slots: { startCol: number; restLen: number }[] = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    const start = m.index;
    if (start < headerEnd) continue;
    const end = start + m[0].length;
    pieces.push(Buffer.from(text.slice(last, start), "latin1"));
    const lineStart = text.lastIndexOf("\r\n", start) + 2;
    const lineEnd = text.indexOf("\r\n", end);
    slots.push({ startCol: start - lineStart, restLen: (lineEnd === -1 ? text.length : lineEnd) - end });
    last = end;
  }
  const tail = Buffer.from(text.slice(last), "latin1");
  return {
    fill(url: string): Buffer[] {
      const out: Buffer[] = [];
      for (const [i, slot] of slots.entries()) {
        out.push(pieces[i]!, Buffer.from(qp ? qpLink(url, slot.startCol, slot.restLen) : url, "latin1"));
      }
      out.push(tail);
      return out;
    },
  };
}

/** A URL as quoted-printable at a given column: "=" escaped, soft breaks keeping lines within 76. */
function qpLink(url: string, startCol: number, restLen: number): string {
  let out = "";
  let col = startCol;
  for (const ch of url) {
    const token = ch === "=" ? "=3D" : ch;
    // A soft break is "=" at the end of a line: the line holds at most 75 other characters.
    if (col + token.length > QP_LINE - 1) {
      out += "=\r\n";
      col = 0;
    }
    out += token;
    col += token.length;
  }
  if (col + restLen > QP_LINE) out += "=\r\n";
  return out;
}

/** Removes one header (with its folded continuation lines) from a built message. */
function withoutHeader(message: Buffer, name: string): Buffer {
  const text = message.toString("utf8");
  const end = text.indexOf("\r\n\r\n");
  const lines = text.slice(0, end).split("\r\n");
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    dropping = line.toLowerCase().startsWith(`${name}:`);
    if (!dropping) kept.push(line);
  }
  return Buffer.from(`${kept.join("\r\n")}${text.slice(end)}`, "utf8");
}

/**
 * Headers common to a run's copies: List-Id (RFC 2919) naming the mailing, and, when copies carry an
 * unsubscribe link, List-Unsubscribe-Post (RFC 8058: the link unsubscribes with one POST).
 */
export function listHeaders(mailingId: number, from: string, oneClick: boolean): Record<string, string> {
  const domain = envelopeAddress(from).split("@")[1] || "localhost";
  return {
    "List-Id": `<mailing-${mailingId}.${domain}>`,
    ...(oneClick ? { "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" } : {}),
  };
}

/** The bare address of a From header value ("PostPilot <a@b.c>" → "a@b.c"), for the SMTP envelope. */
export function envelopeAddress(from: string): string {
  const [first] = addressparser(from, { flatten: true });
  return first?.address || from;
}

/**
 * A delivery's Message-ID: stable across its retries, so a copy sent twice (after a crash) is recognisable
 * as the same message.
 */
export function messageIdFor(runId: number, deliveryId: number, from: string): string {
  const domain = envelopeAddress(from).split("@")[1] || "localhost";
  return `postpilot.${runId}.${deliveryId}@${domain}`;
}
