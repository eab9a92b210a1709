/**
 * An in-process SMTP server for delivery tests (the smtp-server package) that records what it receives and
 * can be told to misbehave: be slow, reply 421/450/451/550/554, fail an address's first N tries, drop the
 * connection during DATA, or refuse connections altogether.
 */
import type { AddressInfo, Socket } from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";

export interface Received {
  from: string;
  to: string[];
  messageId: string | null;
  toHeader: string | null;
  raw: string;
}

type Reply = { code: number; message: string };

function smtpError({ code, message }: Reply): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export class TestSmtpServer {
  readonly received: Received[] = [];
  /** Delay before every reply to RCPT TO and DATA. */
  delayMs = 0;
  /** Reply to every MAIL FROM with this (e.g. 421: the server is shedding load). */
  mailFromReply: Reply | null = null;
  /** Permanent per-address replies to RCPT TO (550, 554…). */
  readonly rcptReplies = new Map<string, Reply>();
  /** Per-address: reply this to the first `times` tries, then accept. */
  readonly failFirst = new Map<string, Reply & { times: number }>();
  /** Per-address: drop the connection during DATA this many times. */
  readonly dropDuringData = new Map<string, number>();
  /** Every RCPT TO attempt, accepted or not. */
  readonly attempts: string[] = [];
  private refusing = false;

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
      hideSTARTTLS: true,
      logger: false,
      ...options,
      onMailFrom(_address, _session, callback) {
        const reply = self?.mailFromReply;
        callback(reply ? smtpError(reply) : undefined);
      },
      async onRcptTo(address, _session, callback) {
        const s = self!;
        const to = address.address.toLowerCase();
        s.attempts.push(to);
        if (s.delayMs) await wait(s.delayMs);
        const permanent = s.rcptReplies.get(to);
        if (permanent) return callback(smtpError(permanent));
        const first = s.failFirst.get(to);
        if (first && first.times > 0) {
          first.times--;
          return callback(smtpError(first));
        }
        callback();
      },
      onData(stream, session, callback) {
        const s = self!;
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", async () => {
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          const drops = to.map((a) => s.dropDuringData.get(a) ?? 0).find((n) => n > 0);
          if (drops) {
            for (const a of to) s.dropDuringData.set(a, drops - 1);
            s.socketOf(session.id)?.destroy();
            return;
          }
          if (s.delayMs) await wait(s.delayMs);
          const raw = Buffer.concat(chunks).toString("utf8");
          s.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to,
            messageId: /^Message-ID:\s*(.+)$/im.exec(raw)?.[1]?.trim() ?? null,
            toHeader: /^To:\s*(.+)$/im.exec(raw)?.[1]?.trim() ?? null,
            raw,
          });
          callback(null, "Ok: queued");
        });
      },
    });
    server.on("error", () => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.server.address() as AddressInfo).port;
    self = new TestSmtpServer(server, port);
    return self;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
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
