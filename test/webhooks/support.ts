/**
 * A local webhook receiver (node:http on 127.0.0.1, a port in 4100-4199) that records every request and
 * answers as told: `replies` are used one by one (then 200), `hang` leaves requests unanswered.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number | null;
}

export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Status codes for the next requests, in order; afterwards every request gets 200. */
  replies: number[] = [];
  /** Leave requests unanswered (a hanging receiver). */
  hang = false;
  /** Requests not answered yet. */
  open = 0;

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<TestReceiver> {
    let self: TestReceiver | null = null;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const receiver = self!;
        const entry: ReceivedRequest = {
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
          status: null,
        };
        receiver.requests.push(entry);
        if (receiver.hang) {
          receiver.open++;
          res.on("close", () => receiver.open--);
          return;
        }
        entry.status = receiver.replies.shift() ?? 200;
        res.writeHead(entry.status, { "content-type": "text/plain" });
        res.end(entry.status === 200 ? "ok" : "try later");
      });
    });
    self = new TestReceiver(server);
    for (let port = 4100 + (process.pid % 40) * 2; ; port++) {
      if (port > 4199) throw new Error("No free port in 4100-4199");
      const bound = await new Promise<boolean>((resolve) => {
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => resolve(true));
      });
      if (bound) return self;
    }
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = "/hooks"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The requests answered 200, their bodies parsed. */
  accepted(): ReceivedEvent[] {
    return this.requests.filter((r) => r.status === 200).map((r) => JSON.parse(r.body));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Recomputes the signature as a receiver would (Stripe's scheme), independently of src/webhooks. */
export function signatureMatches(secret: string, body: string, header: string | undefined): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match) return false;
  const expected = createHmac("sha256", secret).update(`${match[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, "hex"));
}

export type ReceivedEvent = { id: string; type: string; data: Record<string, unknown> };

/** The events a request carried: itself, or the events of a batch. */
export function eventsOf(body: ReceivedEvent): ReceivedEvent[] {
  return body.type === "batch" ? (body.data.events as ReceivedEvent[]) : [body];
}
