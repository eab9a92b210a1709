/**
 * Pure: per-recipient-domain throttling. Each domain may have a limit (messages per second and messages in
 * flight at once, SEND_DOMAIN_LIMITS, with defaults for the big mailbox providers). A "slow down" reply from a
 * domain (421, or 4.7.x such as "4.7.0 Try again later") halves that domain's rate, not everyone's; it
 * recovers by a quarter every RECOVER_MS without another such reply. A domain with no limit that slows us down
 * gets one: half of what it was sent in the last second. Kept per worker, in memory (the installation-wide
 * SEND_RATE is the shared bucket in rate.ts).
 */

export interface DomainLimit {
  /** Messages per second (Infinity: none). */
  rate: number;
  /** Messages in flight at once (Infinity: none). */
  concurrent: number;
}

/** Safe for the big mailbox providers; SEND_DOMAIN_LIMITS adds to or overrides these. */
export const DEFAULT_DOMAIN_LIMITS: Record<string, DomainLimit> = {
  "gmail.com": { rate: 20, concurrent: 5 },
  "googlemail.com": { rate: 20, concurrent: 5 },
  "outlook.com": { rate: 10, concurrent: 3 },
  "hotmail.com": { rate: 10, concurrent: 3 },
  "live.com": { rate: 10, concurrent: 3 },
  "yahoo.com": { rate: 10, concurrent: 3 },
  "mail.ru": { rate: 10, concurrent: 3 },
  "yandex.ru": { rate: 10, concurrent: 3 },
};

/** Parses SEND_DOMAIN_LIMITS ("gmail.com=20/s:5,outlook.com=10/s:3"; ":N" optional); throws with what is wrong. */
export function parseDomainLimits(text: string): Record<string, DomainLimit> {
  const limits: Record<string, DomainLimit> = {};
  for (const part of text.split(",").map((p) => p.trim())) {
    if (part === "") continue;
    const m = /^([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)=(\d+(?:\.\d+)?)\/s(?::(\d+))?$/i.exec(part);
    if (!m || Number(m[2]) <= 0 || (m[3] !== undefined && Number(m[3]) < 1)) {
      throw new Error(
        `"${part.slice(0, 60)}" is not domain=N/s or domain=N/s:M (e.g. gmail.com=20/s:5), with N > 0 and M ≥ 1`,
      );
    }
    limits[m[1]!.toLowerCase()] = { rate: Number(m[2]), concurrent: m[3] ? Number(m[3]) : Infinity };
  }
  return limits;
}

/** Whether a temporary reply asks us to slow down: 421, or an enhanced status 4.7.x. */
export function isSlowDown(code: number | null, enhanced: string | null): boolean {
  return code === 421 || (enhanced?.startsWith("4.7.") ?? false);
}

const RECOVER_MS = 10_000;
const MIN_FACTOR = 1 / 64;

interface DomainState {
  inFlight: number;
  /** When the next message to this domain may start (pacing by its rate). */
  nextAt: number;
  /** Multiplies the domain's rate: 1, halved by each slow-down reply. */
  factor: number;
  lastSlowDown: number;
  /** Rate learned from a slow-down of a domain without a limit. */
  learned: number | null;
  /** Start times within the last second (for learning a rate), bounded. */
  recent: number[];
}

export class DomainGate {
  private readonly states = new Map<string, DomainState>();

  constructor(private readonly limits: Record<string, DomainLimit>) {}

  /** The domain of an address, lower case. */
  static domainOf(email: string): string {
    return email.slice(email.lastIndexOf("@") + 1).toLowerCase();
  }

  /** The domain's rate now (messages per second; Infinity: none). */
  rateOf(domain: string, now: number): number {
    const s = this.states.get(domain);
    const base = s?.learned ?? this.limits[domain]?.rate ?? Infinity;
    if (!s || base === Infinity) return base;
    this.recover(s, now);
    return base * s.factor;
  }

  /** 0 when a message to this domain may start now, otherwise how long until it may. */
  waitMs(domain: string, now: number): number {
    const s = this.states.get(domain);
    if (!s) return 0;
    const limit = this.limits[domain]?.concurrent ?? Infinity;
    if (s.inFlight >= limit) return 50;
    return Math.max(0, s.nextAt - now);
  }

  /** Whether this domain is slowed down now (for the run page and the logs). */
  slowed(domain: string, now: number): boolean {
    const s = this.states.get(domain);
    if (!s) return false;
    this.recover(s, now);
    return s.factor < 1;
  }

  /** The domains slowed down now, with their rate. */
  slowedDomains(now: number): { domain: string; rate: number }[] {
    return [...this.states.keys()]
      .filter((d) => this.slowed(d, now))
      .map((domain) => ({ domain, rate: Math.round(this.rateOf(domain, now) * 10) / 10 }));
  }

  started(domain: string, now: number): void {
    const s = this.state(domain);
    s.inFlight++;
    const rate = this.rateOf(domain, now);
    s.nextAt = rate === Infinity ? now : Math.max(now, s.nextAt) + 1000 / rate;
    s.recent.push(now);
    while (s.recent.length > 0 && (now - s.recent[0]! >= 1000 || s.recent.length > 10_000)) s.recent.shift();
  }

  finished(domain: string): void {
    const s = this.states.get(domain);
    if (s && s.inFlight > 0) s.inFlight--;
  }

  /** A slow-down reply from this domain: halve its rate (a domain without a limit gets half its last second). */
  slowDown(domain: string, now: number): void {
    const s = this.state(domain);
    if (s.learned === null && (this.limits[domain]?.rate ?? Infinity) === Infinity) {
      const lastSecond = s.recent.filter((t) => now - t < 1000).length;
      s.learned = Math.max(1, lastSecond);
    }
    // Replies to messages started before the last halving say nothing new: at most one halving a second (or
    // per message, for a domain slower than that).
    if (now - s.lastSlowDown >= Math.max(1000, 1000 / this.rateOf(domain, now))) {
      s.factor = Math.max(MIN_FACTOR, s.factor / 2);
    }
    s.lastSlowDown = now;
    const rate = this.rateOf(domain, now);
    s.nextAt = Math.max(s.nextAt, now + 1000 / rate);
  }

  private recover(s: DomainState, now: number): void {
    while (s.factor < 1 && now - s.lastSlowDown >= RECOVER_MS) {
      s.factor = Math.min(1, s.factor * 1.25);
      s.lastSlowDown += RECOVER_MS;
    }
  }

  private state(domain: string): DomainState {
    let s = this.states.get(domain);
    if (!s) {
      s = { inFlight: 0, nextAt: 0, factor: 1, lastSlowDown: -Infinity, learned: null, recent: [] };
      this.states.set(domain, s);
    }
    return s;
  }
}
