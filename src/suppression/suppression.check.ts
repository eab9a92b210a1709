/**
 * The engine's SuppressionCheck port: at claim time, the worker's claimed deliveries whose address is on
 * their owner's suppression list become `suppressed`, in one UPDATE over suppressions_owner_email_uq.
 */
import { sql } from "kysely";
import type { Db } from "../db/database.js";
import type { ClaimedDelivery, SuppressionCheck } from "../delivery/ports.js";

export class KyselySuppressionCheck implements SuppressionCheck {
  constructor(private readonly db: Db) {}

  async suppressClaimed(workerId: string, deliveries: ClaimedDelivery[], now: Date): Promise<number[]> {
    if (deliveries.length === 0) return [];
    const ids = sql.join(deliveries.map((d) => d.id));
    const match = sql`
      from suppressions s
      join runs r on r.id = deliveries.run_id
      join mailings m on m.id = r.mailing_id
      where s.owner_id = m.owner_id and s.email_normalized = lower(trim(deliveries.email))`;
    // Nearly always nobody in a batch is suppressed: a read finds that out without taking SQLite's write
    // lock on every claim; only a batch with suppressed addresses pays for the UPDATE.
    const found = await sql<{ id: number }>`
      select deliveries.id from deliveries
      where deliveries.id in (${ids}) and exists (select 1 ${match})`.execute(this.db);
    if (found.rows.length === 0) return [];
    const result = await sql<{ id: number }>`
      update deliveries set
        status = 'suppressed',
        last_text = (select 'Suppressed: ' || s.reason ${match}),
        lease_owner = null,
        lease_expires_at = null,
        updated_at = ${now.toISOString()}
      where deliveries.id in (${sql.join(found.rows.map((r) => r.id))})
        and deliveries.lease_owner = ${workerId}
        and deliveries.status = 'sending'
        and exists (select 1 ${match})
      returning deliveries.id`.execute(this.db);
    return result.rows.map((r) => r.id);
  }
}
