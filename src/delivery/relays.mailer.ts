/**
 * Several SMTP relays (SMTP_RELAYS): a Mailer that spreads messages over its relays by weight and moves a
 * down relay's share to the others. A relay is down when it fails before the recipient is judged (connect,
 * greeting, EHLO, STARTTLS, AUTH, MAIL FROM, with nothing of the message sent): the same message goes at once
 * to another relay, and the down one is left alone for a while (1 s, doubling to 60 s), then tried again with
 * one message. Only when every relay fails does the worker see the failure (and its breaker pause sending).
 * Each outcome names the relay that answered, so every try's history records which relay sent it.
 */
import type { SendOutcome } from "./classify.js";
import type { Mailer, OutgoingMail } from "./ports.js";

export interface WeightedMailer {
  mailer: Mailer;
  weight: number;
  /** Messages per second this relay takes at most (absent: no limit of its own). */
  rate?: number;
  /** host:port, for logs and the relays page. */
  name: string;
}

/** Stages before the recipient is judged: a failure there is the relay's. */
const RELAY_STAGES = new Set(["connect", "greeting", "ehlo", "starttls", "auth", "mail"]);
const DOWN_BASE_MS = 1_000;
const DOWN_MAX_MS = 60_000;

interface RelayState extends WeightedMailer {
  /** When this relay may take its next message (its own rate). */
  nextAt: number;
  downUntil: number;
  failures: number;
  lastError: string | null;
}

export interface RelayStatus {
  name: string;
  weight: number;
  up: boolean;
  downUntil: string | null;
  lastError: string | null;
}

export class RelaysMailer implements Mailer {
  readonly kind = "smtp" as const;
  private readonly relays: RelayState[];

  constructor(
    relays: WeightedMailer[],
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    if (relays.length === 0) throw new Error("RelaysMailer needs at least one relay");
    this.relays = relays.map((r) => ({ ...r, nextAt: 0, downUntil: 0, failures: 0, lastError: null }));
  }

  async send(mail: OutgoingMail): Promise<SendOutcome> {
    const tried = new Set<RelayState>();
    let last: SendOutcome | null = null;
    for (;;) {
      const relay = this.pick(tried);
      if (!relay) return last!;
      tried.add(relay);
      await this.pace(relay);
      const outcome = await relay.mailer.send(mail);
      if (outcome.ok || !RELAY_STAGES.has(outcome.stage) || outcome.dataStarted) {
        relay.failures = 0;
        relay.downUntil = 0;
        return outcome;
      }
      relay.failures++;
      relay.downUntil = this.now() + Math.min(DOWN_MAX_MS, DOWN_BASE_MS * 2 ** (relay.failures - 1));
      relay.lastError = outcome.response || outcome.message || outcome.errorCode || "no reply";
      last = outcome;
    }
  }

  relayStatus(): RelayStatus[] {
    const now = this.now();
    return this.relays.map((r) => ({
      name: r.name,
      weight: r.weight,
      up: r.downUntil <= now,
      downUntil: r.downUntil > now ? new Date(r.downUntil).toISOString() : null,
      lastError: r.lastError,
    }));
  }

  async close(): Promise<void> {
    await Promise.all(this.relays.map((r) => r.mailer.close()));
  }

  /** Keeps to the relay's own rate: waits for its next slot and books the one after. */
  private async pace(relay: RelayState): Promise<void> {
    if (!relay.rate) return;
    const now = this.now();
    const at = Math.max(now, relay.nextAt);
    relay.nextAt = at + 1000 / relay.rate;
    if (at > now) await this.sleep(at - now);
  }

  /**
   * A relay not yet tried for this message: by weight among those up and free under their own rate (when all
   * up relays are at their rate, the one free soonest); when none is up, the one that comes
   * back soonest (so a message is never refused while any relay might take it).
   */
  private pick(tried: Set<RelayState>): RelayState | null {
    const now = this.now();
    const open = this.relays.filter((r) => !tried.has(r));
    if (open.length === 0) return null;
    const upAll = open.filter((r) => r.downUntil <= now);
    if (upAll.length === 0) return open.reduce((a, b) => (b.downUntil < a.downUntil ? b : a));
    const up = upAll.filter((r) => r.nextAt <= now);
    if (up.length === 0) return upAll.reduce((a, b) => (b.nextAt < a.nextAt ? b : a));
    const total = up.reduce((sum, r) => sum + r.weight, 0);
    let x = this.random() * total;
    for (const r of up) {
      x -= r.weight;
      if (x < 0) return r;
    }
    return up[up.length - 1]!;
  }
}

export interface RelayConfig {
  url: string;
  weight: number;
  /** Its own messages per second (absent: none). */
  rate?: number;
  /** Its own SMTP connections at most (absent: SEND_CONCURRENCY). */
  connections?: number;
}

/**
 * Parses SMTP_RELAYS: comma-separated relays, each a URL optionally prefixed by its weight and '*', and
 * optionally followed by its own limits: "3*smtp://a:587;rate=14;connections=4,smtp://b:587".
 */
export function parseRelays(text: string): RelayConfig[] {
  return text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((part) => {
      const [head, ...options] = part.split(";").map((p) => p.trim());
      const m = /^(?:(\d{1,3})\*)?(smtps?:\/\/\S+)$/.exec(head ?? "");
      if (!m || (m[1] !== undefined && Number(m[1]) < 1)) {
        // Never repeat the part: it may hold a password.
        throw new Error(
          "each relay must be smtp://… or smtps://…, optionally prefixed by a weight and followed by limits: 3*smtp://host:587;rate=14;connections=4",
        );
      }
      const relay: RelayConfig = { url: m[2]!, weight: m[1] ? Number(m[1]) : 1 };
      for (const option of options) {
        const o = /^(rate|connections)=(\d+(?:\.\d+)?)$/.exec(option);
        if (!o || Number(o[2]) <= 0 || (o[1] === "connections" && !Number.isInteger(Number(o[2])))) {
          throw new Error(
            "a relay's limits are ;rate=N (messages per second, > 0) and ;connections=N (whole, ≥ 1)",
          );
        }
        if (o[1] === "rate") relay.rate = Number(o[2]);
        else relay.connections = Number(o[2]);
      }
      return relay;
    });
}
