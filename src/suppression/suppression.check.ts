/**
 * The engine's SuppressionCheck port: at claim time, the worker's claimed deliveries whose address is on
 * their owner's suppression list become `suppressed`. Addresses are normalized here with the same
 * normalizeEmail the list is stored with (SQL lower() is ASCII-only on SQLite), then matched over
 * suppressions_owner_email_uq.
 */
import { sql } from "kysely";
import type { Db } from "../db/database.js";
import type { ClaimedDelivery, SuppressionCheck } from "../delivery/ports.js";
import { normalizeEmail } from "../shared/fields.js";

export class KyselySuppressionCheck implements SuppressionCheck {
  constructor(private readonly db: Db) {}

  async suppressClaimed(workerId: string, deliveries: ClaimedDelivery[], now: Date): Promise<number[]> {
    if (deliveries.length === 0) return [];
    const values = sql.join(
      deliveries.map((d, i) =>
        i === 0
          ? sql`(cast(${d.id} as integer), cast(${normalizeEmail(d.email)} as text))`
          : sql`(${d.id}, ${normalizeEmail(d.email)})`,
      ),
    );
    // Nearly always nobody in a batch is suppressed: a read finds that out without taking SQLite's write
    // lock on every claim; only a batch with suppressed addresses pays for an UPDATE (one per reason).
    const found = await sql<{ id: number; reason: string }>`
      with v(id, email_normalized) as (values ${values})
      select v.id, s.reason from v
      join deliveries d on d.id = v.id
      join runs r on r.id = d.run_id
      join mailings m on m.id = r.mailing_id
      join suppressions s on s.owner_id = m.owner_id and s.email_normalized = v.email_normalized`.execute(
      this.db,
    );
    if (found.rows.length === 0) return [];
    const byReason = new Map<string, number[]>();
    for (const row of found.rows) byReason.set(row.reason, [...(byReason.get(row.reason) ?? []), row.id]);
    const marked: number[] = [];
    for (const [reason, ids] of byReason) {
      const rows = await this.db
        .updateTable("deliveries")
        .set({
          status: "suppressed",
          last_text: `Suppressed: ${reason}`,
          lease_owner: null,
          lease_expires_at: null,
          updated_at: now.toISOString(),
        })
        .where("id", "in", ids)
        .where("lease_owner", "=", workerId)
        .where("status", "=", "sending")
        .returning("id")
        .execute();
      marked.push(...rows.map((r) => r.id));
    }
    return marked;
  }
}
