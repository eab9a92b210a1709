/**
 * SQL for custom fields and their values (recipient_fields: one row per recipient and field that has a
 * value). Definitions are per owner; values belong to a recipient, so callers check the recipient first.
 */
import type { Executor } from "../db/database.js";
import type { CustomField } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import type { StoredValue } from "./field-values.js";

export type FieldValueRow = {
  recipient_id: number;
  field_id: number;
  value_text: string;
  value_number: number | null;
};
const CHUNK = 500;

export class CustomFieldsRepository {
  constructor(private readonly db: Executor) {}

  all(actor: Actor): Promise<CustomField[]> {
    return this.db
      .selectFrom("custom_fields")
      .selectAll()
      .where("owner_id", "=", actor.id)
      .orderBy("id")
      .execute();
  }

  findById(actor: Actor, id: number): Promise<CustomField | undefined> {
    return this.db
      .selectFrom("custom_fields")
      .selectAll()
      .where("owner_id", "=", actor.id)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  insert(
    actor: Actor,
    field: Pick<CustomField, "key" | "label" | "type" | "created_at">,
  ): Promise<CustomField> {
    return this.db
      .insertInto("custom_fields")
      .values({ ...field, owner_id: actor.id })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async updateLabel(actor: Actor, id: number, label: string): Promise<boolean> {
    const result = await this.db
      .updateTable("custom_fields")
      .set({ label })
      .where("owner_id", "=", actor.id)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(actor: Actor, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom("custom_fields")
      .where("owner_id", "=", actor.id)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The values of these recipients (over recipient_fields_pk). The caller has checked they are the actor's. */
  async valuesOf(recipientIds: number[]): Promise<FieldValueRow[]> {
    const rows: FieldValueRow[] = [];
    for (let i = 0; i < recipientIds.length; i += CHUNK) {
      rows.push(
        ...(await this.db
          .selectFrom("recipient_fields")
          .select(["recipient_id", "field_id", "value_text", "value_number"])
          .where("recipient_id", "in", recipientIds.slice(i, i + CHUNK))
          .execute()),
      );
    }
    return rows;
  }

  /** Sets (or, with null, clears) the given fields of recipients; other fields stay as they are. */
  async write(entries: { recipientId: number; fieldId: number; value: StoredValue | null }[]): Promise<void> {
    const clear = entries.filter((e) => e.value === null);
    const set = entries.filter((e) => e.value !== null);
    for (const e of clear) {
      await this.db
        .deleteFrom("recipient_fields")
        .where("recipient_id", "=", e.recipientId)
        .where("field_id", "=", e.fieldId)
        .execute();
    }
    for (let i = 0; i < set.length; i += CHUNK) {
      await this.db
        .insertInto("recipient_fields")
        .values(
          set.slice(i, i + CHUNK).map((e) => ({
            recipient_id: e.recipientId,
            field_id: e.fieldId,
            value_text: e.value!.text,
            value_number: e.value!.number,
          })),
        )
        .onConflict((oc) =>
          oc.columns(["recipient_id", "field_id"]).doUpdateSet((eb) => ({
            value_text: eb.ref("excluded.value_text"),
            value_number: eb.ref("excluded.value_number"),
          })),
        )
        .execute();
    }
  }
}
