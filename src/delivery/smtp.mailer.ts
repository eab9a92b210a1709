/**
 * The SMTP mailer: nodemailer's connection pool, with timeouts on connect, greeting and socket, sending
 * prebuilt raw messages. Never throws: errors come back as outcomes for classify().
 */
import nodemailer from "nodemailer";
import type { AttemptStage, SendOutcome } from "./classify.js";
import type { Mailer, OutgoingMail } from "./ports.js";

export interface SmtpMailerOptions {
  /** smtp:// or smtps:// with optional credentials (SMTP_URL). */
  url: string;
  timeoutMs: number;
  /** Pool size: one connection per message in flight. */
  concurrency: number;
}

type SmtpError = Error & { code?: string; response?: string; responseCode?: number; command?: string };

function stageOf(command: string | undefined): AttemptStage {
  if (!command) return "connect";
  if (command.startsWith("AUTH")) return "auth";
  if (command === "MAIL FROM") return "mail";
  if (command === "RCPT TO") return "rcpt";
  if (command === "DATA") return "data";
  if (command === "EHLO" || command === "HELO" || command === "LHLO") return "ehlo";
  if (command === "STARTTLS") return "starttls";
  return "connect";
}

export function smtpTransportOptions(options: SmtpMailerOptions) {
  return {
    url: options.url,
    pool: true as const,
    maxConnections: options.concurrency,
    // Reconnect now and then so a long run does not live on one server-side session forever.
    maxMessages: 1000,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    dnsTimeout: options.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export class SmtpMailer implements Mailer {
  readonly kind = "smtp" as const;
  private readonly transport;

  constructor(options: SmtpMailerOptions) {
    this.transport = nodemailer.createTransport(smtpTransportOptions(options));
  }

  async send(mail: OutgoingMail): Promise<SendOutcome> {
    try {
      const info = await this.transport.sendMail({
        envelope: { from: mail.from, to: [mail.to] },
        raw: mail.raw,
      });
      return { ok: true, stage: "data", response: info.response };
    } catch (error) {
      const e = error as SmtpError;
      return {
        ok: false,
        stage: stageOf(e.command),
        response: e.response,
        responseCode: e.responseCode,
        errorCode: e.code,
        message: e.message,
      };
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
