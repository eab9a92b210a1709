/**
 * What a copy's template knows of its recipient, read for a batch of deliveries: name and comment in one
 * query, the owner's custom fields (`recipient.fields.key`) in one more. A recipient deleted since the run
 * was created leaves only the delivery's address.
 */
import { valuesFor } from "../custom-fields/custom-fields.service.js";
import type { Db } from "../db/database.js";

export interface RecipientRow {
  deliveryId: number;
  fullName: string;
  comment: string;
  fields: Record<string, string | number | boolean | null>;
}

export class RecipientValues {
  constructor(private readonly db: Db) {}

  async forDeliveries(deliveryIds: number[], ownerId?: number): Promise<RecipientRow[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await this.db
      .selectFrom("deliveries")
      .innerJoin("recipients", "recipients.id", "deliveries.recipient_id")
      .select([
        "deliveries.id as deliveryId",
        "recipients.id as recipientId",
        "recipients.full_name as fullName",
        "recipients.comment",
      ])
      .where("deliveries.id", "in", deliveryIds)
      .execute();
    const fields =
      ownerId === undefined || rows.length === 0
        ? new Map<number, Record<string, string | number | boolean | null>>()
        : await valuesFor(
            { db: this.db },
            { id: ownerId, role: "user" },
            rows.map((r) => r.recipientId),
          );
    return rows.map(({ recipientId, ...r }) => ({ ...r, fields: fields.get(recipientId) ?? {} }));
  }
}
