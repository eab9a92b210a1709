/**
 * Login throttling that cannot lock the owner out (OWASP's authentication guidance):
 * - per (account, client address): PAIR_LIMIT failures in PAIR_WINDOW block that address for that account
 *   only, for PAIR_BLOCK;
 * - per account: past ACCOUNT_FREE failures in ACCOUNT_WINDOW (from any addresses), each further failure
 *   delays the account exponentially (1 s, 2 s, 4 s … up to ACCOUNT_MAX_DELAY). During the delay an
 *   address that has not failed for this account lately, or that logged in to it before, is still let
 *   through to the password check, so the owner gets in with the right password while the guesser waits;
 * - the owner is emailed (queued account mail) once per ALERT_QUIET when the failures reach ALERT_AFTER.
 * Admins see the counters and clear them (admin/throttles.pages.tsx).
 */
import type { Database } from "../db/database.js";
import type { LoginThrottle } from "../db/schema.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { AccountEmailsRepository } from "./account-emails.repository.js";
import { failedLoginsEmail } from "./account-mail.texts.js";
import { ALL_CLIENTS, LoginThrottlesRepository } from "./login-throttles.repository.js";
import { UsersRepository } from "./users.repository.js";

const MINUTE = 60_000;
export const THROTTLE = {
  PAIR_LIMIT: 5,
  PAIR_WINDOW_MS: 15 * MINUTE,
  PAIR_BLOCK_MS: 15 * MINUTE,
  ACCOUNT_FREE: 10,
  ACCOUNT_WINDOW_MS: 60 * MINUTE,
  ACCOUNT_MAX_DELAY_MS: 15 * MINUTE,
  ALERT_AFTER: 10,
  ALERT_QUIET_MS: 24 * 60 * MINUTE,
  TRUSTED_FOR_MS: 30 * 24 * 60 * MINUTE,
  /** Counters without a failure for this long are deleted (at the next failure of any account). */
  FORGET_AFTER_MS: 24 * 60 * MINUTE,
} as const;

export interface ThrottleRow {
  account: string;
  client: string;
  failures: number;
  lastFailedAt: string | null;
  blockedUntil: string | null;
}

export class LoginThrottleService {
  private readonly repo: LoginThrottlesRepository;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
  ) {
    this.repo = new LoginThrottlesRepository(database.db);
  }

  /** Seconds to wait before this address may try this account again, or 0 to go on to the password. */
  async wait(account: string, client: string): Promise<number> {
    const now = this.clock.now().getTime();
    const { pair, all } = await this.repo.find(account, client);
    const pairBlocked = until(pair, now);
    if (pairBlocked > 0) return pairBlocked;
    const accountDelayed = until(all, now);
    if (accountDelayed === 0 || this.letThrough(pair, now)) return 0;
    return accountDelayed;
  }

  /** A wrong password (or an unknown account): counted for the pair and the account. */
  async failed(account: string, client: string): Promise<void> {
    const now = this.clock.now();
    const at = iso(now);
    const pairFailures = await this.repo.fail(account, client, at, iso(ago(now, THROTTLE.PAIR_WINDOW_MS)));
    if (pairFailures >= THROTTLE.PAIR_LIMIT)
      await this.repo.block(account, client, iso(later(now, THROTTLE.PAIR_BLOCK_MS)));
    const accountFailures = await this.repo.fail(
      account,
      ALL_CLIENTS,
      at,
      iso(ago(now, THROTTLE.ACCOUNT_WINDOW_MS)),
    );
    const over = accountFailures - THROTTLE.ACCOUNT_FREE;
    if (over >= 0) {
      const delay = Math.min(1000 * 2 ** Math.min(over, 30), THROTTLE.ACCOUNT_MAX_DELAY_MS);
      await this.repo.block(account, ALL_CLIENTS, iso(later(now, delay)));
    }
    if (accountFailures >= THROTTLE.ALERT_AFTER) await this.alert(account, accountFailures, now);
    await this.repo.prune(iso(ago(now, THROTTLE.FORGET_AFTER_MS)), iso(ago(now, THROTTLE.TRUSTED_FOR_MS)));
  }

  /** The right password: this address starts again and is remembered as one the owner uses. */
  async succeeded(account: string, client: string): Promise<void> {
    await this.repo.succeed(account, client, iso(this.clock.now()));
  }

  /** Counters with a failure in the last day, most recent first (the admin page). */
  async recent(limit = 100): Promise<ThrottleRow[]> {
    const now = this.clock.now();
    const rows = await this.repo.recent(iso(ago(now, 24 * 60 * MINUTE)), limit);
    return rows.map((r) => ({
      account: r.account,
      client: r.client,
      failures: r.failures,
      lastFailedAt: r.last_failed_at,
      blockedUntil: r.blocked_until && Date.parse(r.blocked_until) > now.getTime() ? r.blocked_until : null,
    }));
  }

  /** Clears an account's counters; returns how many rows changed (0: nothing to clear). */
  clear(account: string): Promise<number> {
    return this.repo.clear(account);
  }

  /** During the account's delay: a fresh address (no recent failures), or one that logged in before. */
  private letThrough(pair: LoginThrottle | undefined, now: number): boolean {
    if (!pair) return true;
    if (pair.last_success_at && now - Date.parse(pair.last_success_at) < THROTTLE.TRUSTED_FOR_MS) return true;
    const quiet = !pair.last_failed_at || now - Date.parse(pair.last_failed_at) > THROTTLE.PAIR_WINDOW_MS;
    return pair.failures === 0 || quiet;
  }

  private async alert(account: string, failures: number, now: Date): Promise<void> {
    if (!(await this.repo.claimAlert(account, iso(now), iso(ago(now, THROTTLE.ALERT_QUIET_MS))))) return;
    const user = await new UsersRepository(this.database.db).findByEmail(account);
    if (!user) return; // nobody to tell: the address has no account
    const text = failedLoginsEmail(failures, user.locale);
    await new AccountEmailsRepository(this.database.db).enqueue(
      { userId: user.id, to: user.email, subject: text.subject, body: text.body },
      iso(now),
    );
  }
}

function until(row: LoginThrottle | undefined, now: number): number {
  if (!row?.blocked_until) return 0;
  const ms = Date.parse(row.blocked_until) - now;
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}

const ago = (now: Date, ms: number) => new Date(now.getTime() - ms);
const later = (now: Date, ms: number) => new Date(now.getTime() + ms);
