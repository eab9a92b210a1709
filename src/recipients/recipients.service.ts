/** Recipients: the people a user's mailings go to. Email is unique per owner, ignoring case and spaces. */

import { CustomFieldsRepository } from "../custom-fields/custom-fields.repository.js";
import { CustomFieldsService, type ParsedFields } from "../custom-fields/custom-fields.service.js";
import type { Database, Executor } from "../db/database.js";
import { isUniqueViolation } from "../db/database.js";
import type { Recipient } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { type CursorPage, type CursorQuery, cursorPageOf, startOf } from "../shared/cursor.js";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { keysetOf, keysetPage, type Page, pageOf, type Seek } from "../shared/pagination.js";
import { isStaff } from "../shared/roles.js";
import { effectiveScope, type Scope } from "../shared/scope.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { fieldErrorsOf } from "../shared/validation.js";
import { RecipientsRepository, recipientKey } from "./recipients.repository.js";
import {
  type RecipientInput,
  type RecipientListQuery,
  recipientListQuery,
  recipientSchema,
} from "./recipients.schemas.js";

function writeFields(db: Executor, recipientId: number, fields: ParsedFields): Promise<void> {
  return new CustomFieldsRepository(db).write(
    fields.map((f) => ({ recipientId, fieldId: f.field.id, value: f.value })),
  );
}

/** Told (and awaited) after an owner's recipients change: the home page figures are invalidated. */
export type RecipientsChanged = (ownerId: number) => void | Promise<void>;

export class RecipientsService {
  private readonly recipients: RecipientsRepository;
  private readonly customFields: CustomFieldsService;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
    private readonly changed: RecipientsChanged = () => {},
  ) {
    this.recipients = new RecipientsRepository(database.db);
    this.customFields = new CustomFieldsService(database, clock);
  }

  async list(
    actor: Actor,
    rawQuery: unknown,
  ): Promise<
    Page<Recipient & { owner_email: string }> & {
      query: ReturnType<typeof recipientListQuery.parse>;
      scope: Scope;
    }
  > {
    const query = recipientListQuery.parse(rawQuery ?? {});
    return {
      ...recipientPage(await this.recipients.list(actor, query), query),
      query,
      scope: effectiveScope(actor, query),
    };
  }
  /** The API's keyset pages, in id order (see shared/cursor.ts). */
  async listByCursor(actor: Actor, query: CursorQuery): Promise<CursorPage<Recipient>> {
    const { dir, afterId } = startOf(query);
    const [rows, total] = await Promise.all([
      this.recipients.listKeyset(actor, query.q, dir, afterId, query.limit),
      this.recipients.countMatching(actor, query.q),
    ]);
    return cursorPageOf(rows, query.limit, dir, total);
  }

  count(actor: Actor): Promise<number> {
    return this.recipients.countMatching(actor, "");
  }

  async get(actor: Actor, id: number): Promise<Recipient> {
    const recipient = await this.recipients.findById(actor, id);
    if (!recipient) throw new NotFoundError("Recipient not found");
    return recipient;
  }

  /** A recipient to look at: the actor's own, or (managers and admins) anyone's, read-only. */
  async view(actor: Actor, id: number): Promise<Recipient> {
    if (!isStaff(actor)) return this.get(actor, id);
    const recipient = await this.recipients.findAnyById(id);
    if (!recipient) throw new NotFoundError("Recipient not found");
    return recipient;
  }

  async create(actor: Actor, input: unknown): Promise<Recipient> {
    const [data, fields] = await this.parse(actor, input);
    const now = iso(this.clock.now());
    let created: Recipient;
    try {
      created = await this.database.db.transaction().execute(async (tx) => {
        const row = await new RecipientsRepository(tx).insert(actor, {
          email: data.email,
          email_normalized: normalizeEmail(data.email),
          full_name: data.full_name,
          comment: data.comment,
          created_at: now,
          updated_at: now,
        });
        await writeFields(tx, row.id, fields);
        return row;
      });
    } catch (error) {
      throw await this.duplicateOr(actor, data.email, error);
    }
    await this.changed(actor.id);
    return created;
  }

  async update(actor: Actor, id: number, input: unknown): Promise<Recipient> {
    await this.get(actor, id);
    const [data, fields] = await this.parse(actor, input);
    try {
      const updated = await this.database.db.transaction().execute(async (tx) => {
        const row = await new RecipientsRepository(tx).update(actor, id, {
          email: data.email,
          email_normalized: normalizeEmail(data.email),
          full_name: data.full_name,
          comment: data.comment,
          updated_at: iso(this.clock.now()),
        });
        if (row) await writeFields(tx, row.id, fields);
        return row;
      });
      if (!updated) throw new NotFoundError("Recipient not found");
      await this.changed(actor.id);
      return updated;
    } catch (error) {
      throw await this.duplicateOr(actor, data.email, error);
    }
  }

  /**
   * The recipient's own fields and its custom fields, with every field's error at once: from a form
   * (`field_<key>` inputs) or the API (`fields: { key: value }`).
   */
  private async parse(actor: Actor, input: unknown): Promise<[RecipientInput, ParsedFields]> {
    const body = (input && typeof input === "object" ? input : {}) as Record<string, unknown>;
    const api = body.fields !== undefined;
    const errors: Record<string, string> = {};
    const own = recipientSchema.safeParse(input);
    if (!own.success) Object.assign(errors, fieldErrorsOf(own.error));
    let fields: ParsedFields = [];
    try {
      const source = api
        ? typeof body.fields === "object" && body.fields !== null
          ? body.fields
          : {}
        : body;
      fields = await this.customFields.parse(actor, source as Record<string, unknown>, api ? "api" : "form");
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      Object.assign(errors, error.fieldErrors);
    }
    if (!own.success || Object.keys(errors).length > 0) throw new ValidationError(errors);
    return [own.data, fields];
  }

  /** The database's unique index decides; this only turns its error into a message with a link. */
  private async duplicateOr(actor: Actor, email: string, error: unknown): Promise<unknown> {
    if (!isUniqueViolation(error)) return error;
    const existing = await this.recipients.findByEmail(actor, normalizeEmail(email));
    return new ConflictError(
      "You already have a recipient with this email.",
      "email",
      existing ? { href: `/recipients/${existing.id}`, text: `Open ${existing.email}` } : undefined,
      existing?.id,
    );
  }

  async delete(actor: Actor, id: number): Promise<void> {
    if (!(await this.recipients.delete(actor, id))) throw new NotFoundError("Recipient not found");
    await this.changed(actor.id);
  }

  mailingsOf(actor: Actor, id: number): Promise<{ id: number; name: string }[]> {
    return this.recipients.mailingsOf(actor, id);
  }
}

/** A page of the recipients list from what the repository read (keyset, or numbered for the API). */
export function recipientPage<R extends Recipient>(
  { rows, seek, total, capped }: { rows: R[]; seek: Seek; total: number; capped: boolean },
  query: RecipientListQuery,
): Page<R> {
  if (seek.from === "start" && query.page > 1)
    return { ...pageOf(rows, total, query.page, query.limit), capped };
  const page = keysetPage(rows, query.limit, seek, recipientKey(query.sort));
  return keysetOf(page, { total, capped }, query.limit);
}
