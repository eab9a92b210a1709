/**
 * The bounce mailbox poller (BOUNCE_IMAP_URL): every interval it connects (imapflow, with connection,
 * greeting and socket timeouts), hands each message in the mailbox to IncomingMailService — the same code
 * path as `postpilot process-bounce` — and moves it to the processed folder (a bounce, complaint or
 * unsubscribe) or the ignored folder (anything else), creating them when missing. A message whose handling
 * fails (the database is down) stays where it is and is tried again next time. It runs in the engine,
 * beside the worker; a failed poll (wrong password, server down) is logged and retried next interval.
 */
import { ImapFlow } from "imapflow";
import type { ImapConfig } from "../config.js";
import type { DeliveryLogger } from "../delivery/worker.js";
import { silentLogger } from "../delivery/worker.js";
import { type IncomingMailService, type IncomingResult, incomingLines } from "./incoming.service.js";

/** Messages handled per poll at most (the rest wait for the next one). */
const PER_POLL = 500;
/** A message bigger than this is not a report: it is moved to the ignored folder unread. */
const MAX_BYTES = 10 * 1024 * 1024;

export interface PolledMessage {
  uid: number;
  result: IncomingResult | { kind: "failed"; why: string };
  movedTo: string | null;
}

export interface PollReport {
  messages: PolledMessage[];
}

export class ImapPoller {
  private stopped = true;
  private loopDone: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private readonly logger: DeliveryLogger;

  constructor(
    private readonly config: ImapConfig,
    private readonly incoming: IncomingMailService,
    logger?: DeliveryLogger,
  ) {
    this.logger = logger ?? silentLogger;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopDone = this.loop();
  }

  /** Stops polling and waits for the poll in flight (bounded by the timeouts). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loopDone;
    this.loopDone = null;
  }

  /** One poll; throws when the mailbox cannot be reached or read (the message says why, never the password). */
  async pollOnce(): Promise<PollReport> {
    const c = this.config;
    const client = new ImapFlow({
      host: c.host,
      port: c.port,
      secure: c.secure,
      auth: { user: c.user, pass: c.password },
      logger: false,
      connectionTimeout: c.timeoutMs,
      greetingTimeout: c.timeoutMs,
      socketTimeout: Math.max(c.timeoutMs, 30_000),
      disableAutoIdle: true,
    });
    // Errors after connect (a dropped socket) also reach the awaited command; this keeps them off the process.
    client.on("error", () => {});
    const messages: PolledMessage[] = [];
    try {
      await client.connect();
      const processed = await this.folder(client, c.processedFolder);
      const ignored = await this.folder(client, c.ignoredFolder);
      const lock = await client.getMailboxLock(c.mailbox);
      try {
        const uids = ((await client.search({ all: true }, { uid: true })) || []).slice(0, PER_POLL);
        for (const uid of uids) {
          if (this.stopped && this.loopDone) break;
          messages.push(await this.handle(client, uid, processed, ignored));
        }
      } finally {
        lock.release();
      }
      await client.logout();
    } catch (error) {
      client.close();
      throw new Error(`bounce mailbox ${c.user}@${c.host}:${c.port}: ${imapErrorText(error)}`);
    }
    return { messages };
  }

  private async handle(client: ImapFlow, uid: number, processed: string, ignored: string) {
    const found = await client.fetchOne(String(uid), { source: { maxLength: MAX_BYTES + 1 } }, { uid: true });
    const source = found ? found.source : undefined;
    let result: PolledMessage["result"];
    if (!source) result = { kind: "ignored", why: "the server returned no message" };
    else if (source.length > MAX_BYTES) result = { kind: "ignored", why: `larger than ${MAX_BYTES} bytes` };
    else {
      try {
        result = await this.incoming.process(source);
      } catch (error) {
        // The database refused: the message stays in the mailbox for the next poll.
        return { uid, result: { kind: "failed", why: (error as Error).message }, movedTo: null } as const;
      }
    }
    const to = result.kind === "ignored" ? ignored : processed;
    await client.messageMove(String(uid), to, { uid: true });
    return { uid, result, movedTo: to };
  }

  /** The folder's path on this server (its delimiter, its namespace), created when missing. */
  private async folder(client: ImapFlow, name: string): Promise<string> {
    const created = await client.mailboxCreate(name.split("/"));
    return created.path;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const report = await this.pollOnce();
        for (const m of report.messages) {
          this.logger.info({ uid: m.uid, movedTo: m.movedTo, lines: pollLines(m) }, "bounce mailbox message");
        }
      } catch (error) {
        this.logger.warn(
          { error: (error as Error).message },
          "bounce mailbox poll failed; retrying next interval",
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.intervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }
}

/** What a polled message came to, one line each. */
export function pollLines(m: PolledMessage): string[] {
  if (m.result.kind === "failed") return [`Not handled (left in the mailbox): ${m.result.why}`];
  return incomingLines(m.result);
}

/** imapflow's errors carry the server's answer in responseText; authentication failures say so. */
function imapErrorText(error: unknown): string {
  const e = error as {
    message?: string;
    responseText?: string;
    authenticationFailed?: boolean;
    code?: string;
  };
  if (e.authenticationFailed) return `login failed${e.responseText ? ` (${e.responseText})` : ""}`;
  const text = e.responseText ? `${e.message} (${e.responseText})` : (e.message ?? String(error));
  return e.code && !text.includes(e.code) ? `${text} [${e.code}]` : text;
}
