/**
 * Builds a run's email once and stamps it per recipient: the body and common headers are encoded a single
 * time; each recipient's copy only adds its own To and Message-ID. No I/O.
 */
import addressparser from "nodemailer/lib/addressparser";
import MailComposer from "nodemailer/lib/mail-composer";

export interface PreparedMessage {
  /** The raw RFC 5322 message for one recipient. */
  forRecipient(to: string, messageId: string): Buffer;
}

export interface MessageContent {
  from: string;
  subject: string;
  body: string;
  date: Date;
}

export async function prepareMessage(content: MessageContent): Promise<PreparedMessage> {
  const composer = new MailComposer({
    from: content.from,
    subject: content.subject,
    // Bare LF in the source text becomes CRLF, as SMTP requires.
    text: content.body.replace(/\r?\n/g, "\r\n"),
    date: content.date,
  });
  const built = await composer.compile().build();
  const common = withoutHeader(built, "message-id");
  return {
    forRecipient(to, messageId) {
      if (/[\r\n]/.test(to) || /[\r\n<>]/.test(messageId)) throw new Error("Invalid address or Message-ID");
      return Buffer.concat([Buffer.from(`To: ${to}\r\nMessage-ID: <${messageId}>\r\n`), common]);
    },
  };
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
