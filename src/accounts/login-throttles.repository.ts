/** SQL for failed-login counters: one row per (account, client address), and the account's own `*` row. */
import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { LoginThrottle } from "../db/schema.js";

export const ALL_CLIENTS = "*";

export class LoginThrottlesRepository {
  constructor(private readonly db: Executor) {}

  /** The pair's row and the account's row (either may be missing). */
  async find(account: string, client: string): Promise<{ pair?: LoginThrottle; all?: LoginThrottle }> {
    const rows = await this.db
      .selectFrom("login_throttles")
      .selectAll()
      .where("account", "=", account)
      .where("client", "in", [client, ALL_CLIENTS])
      .execute();
    return { pair: rows.find((r) => r.client === client), all: rows.find((r) => r.client === ALL_CLIENTS) };
  }

  /**
   * Counts one failure in one statement (concurrent failures never lose a count); a failure after a quiet
   * `windowStart` starts the count again at 1. Returns the new count.
   */
  async fail(account: string, client: string, now: string, windowStart: string): Promise<number> {
    const row = await this.db
      .insertInto("login_throttles")
      .values({ account, client, failures: 1, last_failed_at: now })
      .onConflict((oc) =>
        oc.columns(["account", "client"]).doUpdateSet({
          failures: sql<number>`case when login_throttles.last_failed_at is null or login_throttles.last_failed_at < ${windowStart} then 1 else login_throttles.failures + 1 end`,
          last_failed_at: now,
        }),
      )
      .returning("failures")
      .executeTakeFirstOrThrow();
    return Number(row.failures);
  }

  async block(account: string, client: string, until: string): Promise<void> {
    await this.db
      .updateTable("login_throttles")
      .set({ blocked_until: until })
      .where("account", "=", account)
      .where("client", "=", client)
      .execute();
  }

  /** A right password from this address: its count starts again, and it is remembered as the owner's. */
  async succeed(account: string, client: string, now: string): Promise<void> {
    await this.db
      .insertInto("login_throttles")
      .values({ account, client, failures: 0, last_success_at: now })
      .onConflict((oc) =>
        oc
          .columns(["account", "client"])
          .doUpdateSet({ failures: 0, blocked_until: null, last_success_at: now }),
      )
      .execute();
  }

  /** Compare-and-set: true for the one caller that may send the alert of this episode. */
  async claimAlert(account: string, now: string, quietSince: string): Promise<boolean> {
    const row = await this.db
      .updateTable("login_throttles")
      .set({ alerted_at: now })
      .where("account", "=", account)
      .where("client", "=", ALL_CLIENTS)
      .where((eb) => eb.or([eb("alerted_at", "is", null), eb("alerted_at", "<", quietSince)]))
      .returning("account")
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Rows with a failure since `since`, most recent first (index login_throttles_last_failed_idx). */
  recent(since: string, limit: number): Promise<LoginThrottle[]> {
    return this.db
      .selectFrom("login_throttles")
      .selectAll()
      .where("last_failed_at", ">", since)
      .where("failures", ">", 0)
      .orderBy("last_failed_at", "desc")
      .limit(limit)
      .execute();
  }

  /**
   * Deletes counters whose last failure is older than `failedBefore`, unless they remember a login since
   * `trustedSince` (index login_throttles_last_failed_idx): spraying made-up addresses cannot grow the table.
   */
  async prune(failedBefore: string, trustedSince: string): Promise<void> {
    await this.db
      .deleteFrom("login_throttles")
      .where("last_failed_at", "<", failedBefore)
      .where((eb) => eb.or([eb("last_success_at", "is", null), eb("last_success_at", "<", trustedSince)]))
      .execute();
  }

  /** Forgets an account's failures (every address); remembered good addresses are kept. */
  async clear(account: string): Promise<number> {
    const result = await this.db
      .updateTable("login_throttles")
      .set({ failures: 0, blocked_until: null, last_failed_at: null })
      .where("account", "=", account)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
