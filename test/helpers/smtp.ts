/**
 * An in-process SMTP server for delivery tests (the smtp-server package) that records what it receives and
 * can be told to misbehave. Every switch can be flipped at any time, between or during sends:
 *
 * - `delayMs`: wait this long before every reply to RCPT TO and DATA (a slow server, client timeouts).
 * - `greetingReply`: greet new connections with this reply instead of 220, then hang up
 *   (`{ code: 554, message: "5.3.2 Service unavailable" }`).
 * - `requireAuth`: MAIL FROM without AUTH gets `530 5.7.0 Authentication required`.
 * - `credentials`: the one user/password AUTH accepts (default postpilot / secret); any other login, and
 *   every login while `refuseAuth` is on, gets `535 5.7.8 Authentication credentials invalid`.
 * - `mailFromReply`: reply this to every MAIL FROM (`421 …`, `530 5.7.0 Authentication required`…).
 * - `dropAtMailFrom`: cut the connection instead of answering the next this many MAIL FROMs (as if the
 *   server had dropped the connection just before it was used).
 * - `tooManyRecipientsAfter`: after this many accepted RCPTs on one connection, every further RCPT TO on
 *   it gets `452 4.5.3 Too many recipients`; a fresh connection starts from 0.
 * - `rcptReplies`: per address, reply this to every RCPT TO (550, 554…).
 * - `failFirst`: per address, reply this to the first `times` tries, then accept.
 * - `dropDuringData`: per address, cut the connection during DATA this many times.
 * - `dropDataContaining`: cut the connection mid-DATA, every time, for each message whose raw text
 *   (headers or body) contains one of these strings; other messages go through.
 * - `rawReplies`: per address, a reply line written to the socket byte for byte (NUL and other control
 *   characters included, which smtp-server itself would blank out), in answer to RCPT TO (`at: "rcpt"`)
 *   or at the end of DATA (`at: "data"`).
 * - `refuse()` / `accept()`: stop listening and cut every connection (ECONNREFUSED), then listen again.
 *
 * What happened: `received` (accepted messages), `counts()` (copies per address), `attempts` (every RCPT TO),
 * `authAttempts`, `connections` (connections opened so far), `openConnections` and `peakConnections` (the
 * most open at once).
 */
import type { AddressInfo, Socket } from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";

export interface Received {
  from: string;
  to: string[];
  messageId: string | null;
  toHeader: string | null;
  raw: string;
  /** When the message was accepted (Date.now()). */
  at: number;
}

export type Reply = { code: number; message: string };

/** A reply line sent as is ("550 5.1.1 no\u0000such user"), at RCPT TO or at the end of DATA. */
export type RawReply = { at: "rcpt" | "data"; line: string };

function smtpError({ code, message }: Reply): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

const TOO_MANY_RECIPIENTS: Reply = { code: 452, message: "4.5.3 Too many recipients" };
const AUTH_INVALID: Reply = { code: 535, message: "5.7.8 Authentication credentials invalid" };

export class TestSmtpServer {
  readonly received: Received[] = [];
  /** Delay before every reply to RCPT TO and DATA. */
  delayMs = 0;
  /** Greet new connections with this instead of 220, then hang up (554 5.3.2 Service unavailable). */
  greetingReply: Reply | null = null;
  /** The only login AUTH accepts. */
  credentials = { user: "postpilot", pass: "secret" };
  /** Refuse every login with 535 5.7.8, even the right one. */
  refuseAuth = false;
  /** Reply to every MAIL FROM with this (e.g. 421: the server is shedding load). */
  mailFromReply: Reply | null = null;
  /** Cut the connection instead of answering the next this many MAIL FROMs. */
  dropAtMailFrom = 0;
  /** After this many accepted RCPTs on one connection, 452 4.5.3 to every further RCPT on it. */
  tooManyRecipientsAfter: number | null = null;
  /** Permanent per-address replies to RCPT TO (550, 554…). */
  readonly rcptReplies = new Map<string, Reply>();
  /** Per-address: reply this to the first `times` tries, then accept. */
  readonly failFirst = new Map<string, Reply & { times: number }>();
  /** Per-address: drop the connection during DATA this many times. */
  readonly dropDuringData = new Map<string, number>();
  /** Drop the connection mid-DATA, every time, for messages whose raw text contains one of these. */
  readonly dropDataContaining = new Set<string>();
  /** Per-address reply lines written byte for byte (control characters kept). */
  readonly rawReplies = new Map<string, RawReply>();
  /**
   * Per recipient domain: accept at most `perSecond` RCPTs in any second, answer the others `421 4.7.0 Try
   * again later` (a mailbox provider's throttling). `throttled` counts those answers.
   */
  readonly domainRates = new Map<string, { perSecond: number; accepted: number[]; throttled: number }>();
  /** Every RCPT TO attempt, accepted or not. */
  readonly attempts: string[] = [];
  authAttempts = 0;
  /** The EHLO/HELO names clients gave, as of their first MAIL FROM. */
  readonly ehloNames = new Set<string>();
  /** Connections opened so far. */
  connections = 0;
  openConnections = 0;
  /** The most connections open at once. */
  peakConnections = 0;
  private refusing = false;
  /** Accepted RCPTs per connection (session id). */
  private readonly rcptsBySession = new Map<string, number>();
  /** A raw line to write instead of smtp-server's next reply on that connection. */
  private readonly rawNext = new Map<string, string>();

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(options: Partial<SMTPServerOptions> = {}): Promise<TestSmtpServer> {
    let self: TestSmtpServer | null = null;
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const server = new SMTPServer({
      disableReverseLookup: true,
      authOptional: true,
      authRequiredMessage: "5.7.0 Authentication required",
      hideSTARTTLS: true,
      logger: false,
      ...options,
      onConnect(session, callback) {
        const s = self!;
        s.interceptWrites(session.id);
        callback(s.greetingReply ? smtpError(s.greetingReply) : undefined);
      },
      onAuth(auth, _session, callback) {
        const s = self!;
        s.authAttempts++;
        const { user, pass } = s.credentials;
        if (s.refuseAuth || auth.username !== user || auth.password !== pass)
          return callback(smtpError(AUTH_INVALID));
        callback(null, { user: auth.username });
      },
      onMailFrom(_address, session, callback) {
        const s = self!;
        s.ehloNames.add(session.hostNameAppearsAs);
        if (s.dropAtMailFrom > 0) {
          s.dropAtMailFrom--;
          s.socketOf(session.id)?.destroy();
          return;
        }
        const reply = s.mailFromReply;
        callback(reply ? smtpError(reply) : undefined);
      },
      async onRcptTo(address, session, callback) {
        const s = self!;
        const to = address.address.toLowerCase();
        s.attempts.push(to);
        if (s.delayMs) await wait(s.delayMs);
        const accepted = s.rcptsBySession.get(session.id) ?? 0;
        if (s.tooManyRecipientsAfter !== null && accepted >= s.tooManyRecipientsAfter)
          return callback(smtpError(TOO_MANY_RECIPIENTS));
        const raw = s.rawReplies.get(to);
        if (raw?.at === "rcpt") return s.replyRaw(session.id, raw.line, callback);
        const permanent = s.rcptReplies.get(to);
        if (permanent) return callback(smtpError(permanent));
        const limit = s.domainRates.get(to.slice(to.lastIndexOf("@") + 1));
        if (limit) {
          const now = Date.now();
          while (limit.accepted.length > 0 && now - limit.accepted[0]! >= 1000) limit.accepted.shift();
          if (limit.accepted.length >= limit.perSecond) {
            limit.throttled++;
            return callback(smtpError({ code: 421, message: "4.7.0 Try again later, rate limited" }));
          }
          limit.accepted.push(now);
        }
        const first = s.failFirst.get(to);
        if (first && first.times > 0) {
          first.times--;
          return callback(smtpError(first));
        }
        s.rcptsBySession.set(session.id, accepted + 1);
        callback();
      },
      onData(stream, session, callback) {
        const s = self!;
        let text = "";
        let dropped = false;
        // The socket may be cut under the stream.
        stream.on("error", () => {});
        stream.on("data", (c: Buffer) => {
          if (dropped) return;
          const before = text.length;
          text += c.toString("utf8");
          for (const marker of s.dropDataContaining) {
            if (text.includes(marker, Math.max(0, before - marker.length))) {
              dropped = true;
              s.socketOf(session.id)?.destroy();
              return;
            }
          }
        });
        stream.on("end", async () => {
          if (dropped) return;
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          const drops = to.map((a) => s.dropDuringData.get(a) ?? 0).find((n) => n > 0);
          if (drops) {
            for (const a of to) s.dropDuringData.set(a, drops - 1);
            s.socketOf(session.id)?.destroy();
            return;
          }
          if (s.delayMs) await wait(s.delayMs);
          const raw = to.map((a) => s.rawReplies.get(a)).find((r) => r?.at === "data");
          if (raw && !raw.line.startsWith("2")) return s.replyRaw(session.id, raw.line, callback);
          s.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to,
            messageId: /^Message-ID:\s*(.+)$/im.exec(text)?.[1]?.trim() ?? null,
            toHeader: /^To:\s*(.+)$/im.exec(text)?.[1]?.trim() ?? null,
            raw: text,
            at: Date.now(),
          });
          if (raw) return s.replyRaw(session.id, raw.line, callback);
          callback(null, "Ok: queued");
        });
      },
      onClose(session) {
        self?.rcptsBySession.delete(session.id);
        self?.rawNext.delete(session.id);
      },
    });
    server.on("error", () => {});
    server.server.on("connection", (socket: Socket) => {
      const s = self;
      if (!s) return;
      s.connections++;
      s.openConnections++;
      s.peakConnections = Math.max(s.peakConnections, s.openConnections);
      socket.once("close", () => s.openConnections--);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.server.address() as AddressInfo).port;
    self = new TestSmtpServer(server, port);
    return self;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The URL with the given login (the configured credentials by default). */
  authUrl(user = this.credentials.user, pass = this.credentials.pass): string {
    return `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${this.port}`;
  }

  /** MAIL FROM without AUTH gets 530 5.7.0 Authentication required. */
  get requireAuth(): boolean {
    return !this.server.options.authOptional;
  }

  set requireAuth(on: boolean) {
    // smtp-server reads this option on every command, so it can change between sends.
    this.server.options.authOptional = !on;
  }

  /** How many copies each address received. */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.received) for (const to of m.to) counts.set(to, (counts.get(to) ?? 0) + 1);
    return counts;
  }

  /** Stops listening and cuts every open connection: clients get ECONNREFUSED until accept(). */
  async refuse(): Promise<void> {
    if (this.refusing) return;
    this.refusing = true;
    await new Promise<void>((resolve) => {
      this.server.server.close(() => resolve());
      for (const socket of this.sockets()) socket.destroy();
    });
  }

  async accept(): Promise<void> {
    if (!this.refusing) return;
    this.refusing = false;
    await new Promise<void>((resolve) => this.server.server.listen(this.port, "127.0.0.1", () => resolve()));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets()) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answers with `line` as is: the reply smtp-server writes for the callback's error is swapped for it. */
  private replyRaw(sessionId: string, line: string, callback: (err?: Error | null) => void): void {
    this.rawNext.set(sessionId, line);
    const code = Number(line.slice(0, 3));
    if (code >= 400) callback(smtpError({ code, message: "raw reply" }));
    else callback(null);
  }

  // smtp-server blanks control characters out of every reply, so raw replies replace its next write.
  private interceptWrites(sessionId: string): void {
    const socket = this.socketOf(sessionId);
    if (!socket) return;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      const line = this.rawNext.get(sessionId);
      if (line === undefined) return write(chunk, ...rest);
      this.rawNext.delete(sessionId);
      return write(Buffer.from(`${line}\r\n`, "utf8"), ...rest);
    }) as Socket["write"];
  }

  // smtp-server keeps its connections in a private set; tests need their sockets to cut them.
  private sockets(): Socket[] {
    const connections = (this.server as unknown as { connections: Set<{ _socket: Socket }> }).connections;
    return [...connections].map((c) => c._socket);
  }

  private socketOf(sessionId: string): Socket | undefined {
    const connections = (this.server as unknown as { connections: Set<{ id: string; _socket: Socket }> })
      .connections;
    return [...connections].find((c) => c.id === sessionId)?._socket;
  }
}
