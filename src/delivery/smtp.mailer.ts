/**
 * The SMTP mailer: a small pool of nodemailer SMTPConnections sending prebuilt raw messages. Every outcome
 * names the SMTP stage that produced it, and a connection that failed is dropped, never reused, so a retry
 * goes out on a fresh one. Never throws: errors come back as outcomes for classify().
 */
import os from "node:os";
import { Readable } from "node:stream";
import { parseConnectionUrl } from "nodemailer/lib/shared";
import SMTPConnection, { type SMTPConnectionEnvelope } from "nodemailer/lib/smtp-connection";
import { type AttemptStage, cleanReplyText, isTooManyRecipients, type SendOutcome } from "./classify.js";
import type { Mailer, OutgoingMail } from "./ports.js";

/** What the relay answered to a connection test (no mail sent). */
export interface RelayCheck {
  ok: boolean;
  /** host:port. */
  relay: string;
  /** The last stage reached: connect, greeting, ehlo, starttls or auth. */
  stage: AttemptStage;
  /** The relay's last reply (or the connection error), cleaned for display. */
  reply: string;
  tls: boolean;
  /** Logged in with SMTP_URL's credentials. */
  authenticated: boolean;
}

export interface SmtpMailerOptions {
  /** smtp:// or smtps:// (implicit TLS) with optional credentials (SMTP_URL). */
  url: string;
  /** Connect, greeting, socket-inactivity and DNS timeouts. */
  timeoutMs: number;
  /** Pool size: one connection per message in flight. */
  concurrency: number;
  /** A connection is replaced after this many messages (default 1000). */
  maxMessages?: number;
  /**
   * An idle connection is closed (QUIT) after about this long (default 30 s). The socket timeout (timeoutMs)
   * also ends one that has been idle that long, so the shorter of the two applies.
   */
  idleTimeoutMs?: number;
  /** EHLO name (default os.hostname()). */
  name?: string;
}

type SmtpError = Error & {
  code?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  timeoutType?: string;
};

type Done = (err: SmtpError | null | undefined, value?: unknown) => void;
type Step = { err: SmtpError | null | undefined; value: unknown };

const MAX_MESSAGES = 1000;
const IDLE_TIMEOUT_MS = 30_000;

/** One pooled connection. nodemailer does not call every callback on every failure path, so `pending` is
 * also settled when the connection ends. */
class PooledConnection {
  messages = 0;
  idleSince = 0;
  /** Counted in the pool's `open` (cleared once, when the connection is dropped). */
  counted = true;
  pending: Done | null = null;
  lastError: SmtpError | null = null;
  constructor(readonly smtp: SMTPConnection) {}
}

/** The message as a stream, so that a lost connection can tell whether the body had started (DATA got 354). */
class Body extends Readable {
  started = false;
  constructor(private readonly raw: Buffer) {
    super();
  }
  override _read(): void {
    if (this.started) return;
    this.started = true;
    this.push(this.raw);
    this.push(null);
  }
}

interface Waiter {
  mail: OutgoingMail;
  retried: boolean;
  resolve: (outcome: SendOutcome) => void;
}

export class SmtpMailer implements Mailer {
  readonly kind = "smtp" as const;
  private readonly connectionOptions: SMTPConnection.Options;
  private readonly auth: { user: string; pass: string } | undefined;
  private readonly relay: string;
  private readonly concurrency: number;
  private readonly maxMessages: number;
  private readonly idleTimeoutMs: number;
  /** Connections connecting, sending or idle. */
  private open = 0;
  /** Idle connections, most recently used last. */
  private readonly idle: PooledConnection[] = [];
  private readonly waiters: Waiter[] = [];
  private sweeper: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: SmtpMailerOptions) {
    const { auth, ...url } = parseConnectionUrl(options.url);
    const timeout = options.timeoutMs;
    this.connectionOptions = {
      ...(url as SMTPConnection.Options),
      name: options.name ?? (os.hostname() || undefined),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      dnsTimeout: timeout,
      logger: false,
    };
    this.auth = auth && (auth.user || auth.pass) ? auth : undefined;
    this.relay = addressOf(url);
    this.concurrency = Math.max(1, options.concurrency);
    this.maxMessages = options.maxMessages ?? MAX_MESSAGES;
    this.idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  }

  send(mail: OutgoingMail): Promise<SendOutcome> {
    return this.dispatch(mail, false);
  }

  /**
   * The "test connection" of the Mail relays page: connects, says EHLO, STARTTLS when offered and logs in as
   * a send would (same code, same timeouts), then QUITs. Sends nothing.
   */
  async check(): Promise<RelayCheck> {
    this.open++;
    const conn = await this.connect();
    if (!(conn instanceof PooledConnection)) {
      return {
        ok: false,
        relay: this.relay,
        stage: conn.stage,
        reply: cleanReplyText(conn.response || conn.message || conn.errorCode || "No reply"),
        tls: false,
        authenticated: false,
      };
    }
    const smtp = conn.smtp;
    const result: RelayCheck = {
      ok: true,
      relay: this.relay,
      stage: this.auth && smtp.allowsAuth ? "auth" : "ehlo",
      reply: cleanReplyText(String(smtp.lastServerResponse || "250 OK")),
      tls: smtp.secure,
      authenticated: Boolean(this.auth && smtp.allowsAuth),
    };
    this.retire(conn);
    return result;
  }

  /** Closes idle connections with QUIT; busy ones finish their message first. Later sends fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(this.closedOutcome());
    for (const conn of this.idle.splice(0)) this.retire(conn);
  }

  /** Sends on an idle connection, or a new one while there is room, or waits for one. A retry opens a new one. */
  private dispatch(mail: OutgoingMail, retried: boolean): Promise<SendOutcome> {
    if (this.closed) return Promise.resolve(this.closedOutcome());
    const conn = retried ? undefined : this.idle.pop();
    if (conn) return this.transmit(conn, mail, retried);
    // The longest idle connection is the likeliest to be stale as well.
    if (retried && this.open >= this.concurrency && this.idle[0]) this.retire(this.idle[0]);
    if (this.open < this.concurrency) {
      this.open++;
      return this.connectAndSend(mail, retried);
    }
    return new Promise((resolve) => this.waiters.push({ mail, retried, resolve }));
  }

  private async connectAndSend(mail: OutgoingMail, retried: boolean): Promise<SendOutcome> {
    const conn = await this.connect();
    return conn instanceof PooledConnection ? this.transmit(conn, mail, retried) : conn;
  }

  /** connect → EHLO → STARTTLS when offered → AUTH when the URL has credentials (and the server offers it). */
  private async connect(): Promise<PooledConnection | SendOutcome> {
    const smtp = new SMTPConnection(this.connectionOptions);
    const conn = new PooledConnection(smtp);
    smtp.on("error", (err: SmtpError) => {
      conn.lastError = err;
    });
    smtp.once("end", () => this.onEnd(conn));

    const connected = await this.step(conn, (done) => smtp.connect(done));
    if (connected.err) {
      this.retire(conn);
      return this.failure(setupStage(connected.err, smtp), connected.err);
    }
    if (this.auth && smtp.allowsAuth) {
      const auth = { user: this.auth.user, pass: this.auth.pass };
      const login = await this.step(conn, (done) => smtp.login(auth, done));
      if (login.err) {
        this.retire(conn);
        return this.failure("auth", login.err);
      }
    }
    return conn;
  }

  private async transmit(conn: PooledConnection, mail: OutgoingMail, retried: boolean): Promise<SendOutcome> {
    const smtp = conn.smtp;
    const reused = conn.messages > 0;
    // Cleared so that a failure can tell whether the server answered anything in this transaction.
    smtp.lastServerResponse = false;
    const envelope = { from: mail.from, to: [mail.to] } as SMTPConnectionEnvelope;
    const body = new Body(mail.raw);
    await mail.beforeTransmit?.();
    const { err, value } = await this.step(conn, (done) => smtp.send(envelope, body, done));
    conn.messages++;

    if (!err) {
      const response = (value as { response?: string } | undefined)?.response ?? "";
      this.release(conn);
      return {
        ok: true,
        stage: "data",
        dataStarted: false,
        relay: this.relay,
        response,
        responseCode: Number(response.slice(0, 3)) || 250,
      };
    }

    const heardNothing = smtp.lastServerResponse === false && err.responseCode === undefined;
    if (reused && !retried && heardNothing && !body.started && err.code !== "ETIMEDOUT") {
      // An idle connection the server had just dropped: nothing of this message reached it, try once more.
      this.retire(conn);
      return this.dispatch(mail, true);
    }
    const stage = sendStage(err, envelope, smtp, body);
    const outcome = this.failure(stage, err, body.started && err.responseCode === undefined);
    if (reusableAfter(stage, err)) this.resetAndRelease(conn);
    else this.retire(conn);
    return outcome;
  }

  /**
   * Runs one step on a connection and settles exactly once: by the step's callback, or when the connection
   * ends (nodemailer then calls some callbacks after 'end', and some never).
   */
  private step(conn: PooledConnection, start: (done: Done) => void): Promise<Step> {
    return new Promise((resolve) => {
      let settled = false;
      const done: Done = (err, value) => {
        if (settled) return;
        settled = true;
        if (conn.pending === done) conn.pending = null;
        resolve({ err, value });
      };
      conn.pending = done;
      if (conn.smtp.destroyed) {
        done(conn.lastError ?? closedError());
        return;
      }
      try {
        start(done);
      } catch (error) {
        done(error as SmtpError);
      }
    });
  }

  private onEnd(conn: PooledConnection): void {
    this.discard(conn);
    const pending = conn.pending;
    // The step's own callback may still come right after 'end' (with the server's 421, say): let it win.
    if (pending) queueMicrotask(() => pending(conn.lastError ?? closedError()));
  }

  private resetAndRelease(conn: PooledConnection): void {
    conn.smtp.reset((err) => {
      if (err) this.retire(conn);
      else this.release(conn);
    });
  }

  private release(conn: PooledConnection): void {
    if (!conn.counted) return;
    if (this.closed || conn.messages >= this.maxMessages || conn.smtp.destroyed) {
      this.retire(conn);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      this.transmit(conn, waiter.mail, waiter.retried).then(waiter.resolve);
      return;
    }
    conn.idleSince = Date.now();
    this.idle.push(conn);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), Math.max(1_000, this.idleTimeoutMs / 3));
      this.sweeper.unref();
    }
  }

  private sweep(): void {
    const limit = Date.now() - this.idleTimeoutMs;
    for (const conn of this.idle.filter((c) => c.idleSince <= limit)) this.retire(conn);
    if (this.idle.length === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** Takes a connection out of the pool for good: QUIT while it is healthy, otherwise just close it. */
  private retire(conn: PooledConnection): void {
    this.discard(conn);
    const smtp = conn.smtp;
    if (smtp.destroyed) return;
    if (conn.lastError || conn.pending) smtp.close();
    else smtp.quit();
  }

  /** Frees the connection's slot (once) and lets a waiting send open a new one. */
  private discard(conn: PooledConnection): void {
    if (!conn.counted) return;
    conn.counted = false;
    this.open--;
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    while (this.waiters.length > 0 && this.open < this.concurrency && !this.closed) {
      const waiter = this.waiters.shift()!;
      this.open++;
      this.connectAndSend(waiter.mail, waiter.retried).then(waiter.resolve);
    }
  }

  private failure(stage: AttemptStage, err: SmtpError, dataStarted = false): SendOutcome {
    return {
      ok: false,
      stage,
      dataStarted,
      relay: this.relay,
      response: err.response,
      responseCode: err.responseCode,
      errorCode: err.code,
      message: err.message,
    };
  }

  private closedOutcome(): SendOutcome {
    return this.failure(
      "connect",
      Object.assign(new Error("The SMTP mailer is closed"), { code: "ECLOSED" }),
    );
  }
}

function closedError(): SmtpError {
  return Object.assign(new Error("Connection closed unexpectedly"), { code: "ECONNECTION" });
}

/** Which stage of connect() failed: nodemailer says 'CONN' for the connection, the greeting and more. */
function setupStage(err: SmtpError, smtp: SMTPConnection): AttemptStage {
  const command = err.command;
  if (command === "EHLO" || command === "HELO" || command === "LHLO") return "ehlo";
  if (command === "STARTTLS" || smtp.upgrading || err.timeoutType === "UPGRADE_TIMEOUT") return "starttls";
  if (smtp.stage === "init" || err.timeoutType === "CONNECT_TIMEOUT") return "connect";
  if (err.timeoutType === "GREETING_TIMEOUT") return "greeting";
  const last = smtp.lastServerResponse;
  // Nothing heard yet, or a refusal as the first reply: every later reply of the setup names its command.
  if (last === false || (last === err.response && !last.startsWith("2"))) return "greeting";
  return "ehlo";
}

/**
 * Which stage of the transaction failed. With PIPELINING, MAIL FROM, RCPT TO and DATA go out together and
 * a lost connection says only 'CONN', so the replies the envelope collected tell how far it got.
 */
function sendStage(
  err: SmtpError,
  envelope: SMTPConnectionEnvelope,
  smtp: SMTPConnection,
  body: Body,
): AttemptStage {
  switch (err.command) {
    case "MAIL FROM":
      return "mail";
    case "RCPT TO":
      return "rcpt";
    case "DATA":
      return "data";
  }
  if (body.started || envelope.accepted?.length) return "data";
  if (envelope.rejected?.length) return "rcpt";
  return smtp.lastServerResponse === false ? "mail" : "rcpt";
}

/** A reply about this message (not the session) to RCPT or DATA: RSET and keep the connection. */
function reusableAfter(stage: AttemptStage, err: SmtpError): boolean {
  const code = err.responseCode;
  if ((stage !== "rcpt" && stage !== "data") || code === undefined || code < 400 || code === 421)
    return false;
  return !isTooManyRecipients(code, err.response);
}

/** nodemailer's own pool with the same settings: the send bench's baseline. */
export function smtpTransportOptions(options: SmtpMailerOptions) {
  return {
    url: options.url,
    pool: true as const,
    maxConnections: options.concurrency,
    maxMessages: options.maxMessages ?? MAX_MESSAGES,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    dnsTimeout: options.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** host:port of a relay URL, as outcomes, tries and the relays page name it (never the credentials). */
function addressOf(url: { host?: string; port?: number; secure?: boolean }): string {
  return `${url.host ?? "localhost"}:${url.port ?? (url.secure ? 465 : 587)}`;
}

/** The relay of SMTP_URL for the Mail relays page: host:port (never the credentials) and a connection test. */
export function relayOf(smtp: { url: string; timeoutMs: number; name: string }): {
  address: string;
  check: () => Promise<RelayCheck>;
} {
  return {
    address: addressOf(parseConnectionUrl(smtp.url)),
    check: async () => {
      const mailer = new SmtpMailer({
        url: smtp.url,
        timeoutMs: smtp.timeoutMs,
        concurrency: 1,
        name: smtp.name,
      });
      try {
        return await mailer.check();
      } finally {
        await mailer.close();
      }
    },
  };
}
