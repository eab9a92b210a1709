/**
 * Custom fields: the fields a user defines for their recipients (key, label, type), their values on the
 * recipient form, CSV import and export, the API, segments, and templates (`recipient.fields.key`, through
 * valuesFor). Values live in a typed side table (recipient_fields) rather than a JSON column: one pair of
 * indexes, (field_id, value_text) and (field_id, value_number), serves every field of every owner on both
 * SQLite and PostgreSQL, with no DDL at run time when a user adds a field, and numbers compare as numbers.
 */
import type { Database } from "../db/database.js";
import { isUniqueViolation } from "../db/database.js";
import type { CustomField } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { CustomFieldsRepository } from "./custom-fields.repository.js";
import { customFieldSchema, MAX_FIELDS } from "./custom-fields.schemas.js";
import { parseFieldValue, publicValue, type StoredValue } from "./field-values.js";

export type FieldValues = Record<string, string | number | boolean>;
/** A form's or the API's values, parsed: per field, the value to store or null to clear it. */
export type ParsedFields = { field: CustomField; value: StoredValue | null }[];

/** The form input name of a field's value (the recipient form and the signup form). */
export const fieldInputName = (key: string) => `field_${key}`;

export class CustomFieldsService {
  private readonly fields: CustomFieldsRepository;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
  ) {
    this.fields = new CustomFieldsRepository(database.db);
  }

  all(actor: Actor): Promise<CustomField[]> {
    return this.fields.all(actor);
  }

  async create(actor: Actor, input: unknown): Promise<CustomField> {
    const data = parseInput(customFieldSchema, input);
    if ((await this.fields.all(actor)).length >= MAX_FIELDS) {
      throw new ValidationError({ key: `You can have at most ${MAX_FIELDS} custom fields.` });
    }
    try {
      return await this.fields.insert(actor, { ...data, created_at: iso(this.clock.now()) });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError("You already have a field with this key.", "key");
      throw error;
    }
  }

  /** Deletes the field and every recipient's value of it (segments on it then match nobody). */
  async delete(actor: Actor, id: number): Promise<CustomField> {
    const field = await this.fields.findById(actor, id);
    if (!field || !(await this.fields.delete(actor, id))) throw new NotFoundError("Field not found");
    return field;
  }

  async get(actor: Actor, id: number): Promise<CustomField> {
    const field = await this.fields.findById(actor, id);
    if (!field) throw new NotFoundError("Field not found");
    return field;
  }

  /**
   * For a set of the actor's recipient ids, their fields as { key: value } (numbers as numbers, yes / no
   * as booleans, dates as YYYY-MM-DD). Recipients without values get {}. Ids that are not the actor's get
   * nothing. This is what templates read as `recipient.fields`.
   */
  async valuesFor(actor: Actor, recipientIds: number[]): Promise<Map<number, FieldValues>> {
    return valuesFor(this.database, actor, recipientIds);
  }

  /**
   * Parses field values from a form (`field_<key>`) or the API (`{ key: value }`); only the fields present
   * are returned, so others are left as they are. Errors are keyed like the input.
   */
  async parse(actor: Actor, input: Record<string, unknown>, from: "form" | "api"): Promise<ParsedFields> {
    const fields = await this.fields.all(actor);
    const errors: Record<string, string> = {};
    const parsed: ParsedFields = [];
    for (const field of fields) {
      const name = from === "form" ? fieldInputName(field.key) : field.key;
      if (!(name in input)) continue;
      const result = parseFieldValue(field.type, field.label, input[name]);
      if (result.ok) parsed.push({ field, value: result.value });
      else errors[from === "form" ? name : `fields.${field.key}`] = result.message;
    }
    if (from === "api") {
      const known = new Set(fields.map((f) => f.key));
      for (const key of Object.keys(input))
        if (!known.has(key)) errors[`fields.${key}`] = "There is no custom field with this key.";
    }
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    return parsed;
  }
}

/** valuesFor without the service (the export and the recipients service read it too). */
export async function valuesFor(database: Pick<Database, "db">, actor: Actor, recipientIds: number[]) {
  const out = new Map<number, FieldValues>();
  if (recipientIds.length === 0) return out;
  const repo = new CustomFieldsRepository(database.db);
  const fields = new Map((await repo.all(actor)).map((f) => [f.id, f]));
  const ids: number[] = [];
  for (let i = 0; i < recipientIds.length; i += 500) {
    const owned = await database.db
      .selectFrom("recipients")
      .select("id")
      .where("owner_id", "=", actor.id)
      .where("id", "in", recipientIds.slice(i, i + 500))
      .execute();
    for (const r of owned) ids.push(r.id);
  }
  for (const id of ids) out.set(id, {});
  for (const row of await repo.valuesOf(ids)) {
    const field = fields.get(row.field_id);
    if (field) out.get(row.recipient_id)![field.key] = publicValue(field.type, row);
  }
  return out;
}
