/**
 * Segments: saved filters over an owner's recipients. Their conditions are checked against the owner's
 * lists, fields and mailings when saved; the count and sample are computed live from the definition.
 */
import { loadFields } from "../audiences/audience.sql.js";
import { parseFieldValue } from "../custom-fields/field-values.js";
import type { Database } from "../db/database.js";
import { isUniqueViolation } from "../db/database.js";
import type { Recipient, Segment } from "../db/schema.js";
import { normalizeName } from "../lists/lists.service.js";
import type { Actor } from "../shared/actor.js";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import type { CompileContext } from "./segment.sql.js";
import { SegmentsRepository } from "./segments.repository.js";
import { definitionSchema, type SegmentDefinition, segmentSchema } from "./segments.schemas.js";

export type SegmentView = Segment & { parsed: SegmentDefinition };

export class SegmentsService {
  private readonly segments: SegmentsRepository;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
  ) {
    this.segments = new SegmentsRepository(database.db);
  }

  async all(actor: Actor): Promise<SegmentView[]> {
    return (await this.segments.all(actor)).map(withParsed);
  }

  async get(actor: Actor, id: number): Promise<SegmentView> {
    const segment = await this.segments.findById(actor, id);
    if (!segment) throw new NotFoundError("Segment not found");
    return withParsed(segment);
  }

  async create(actor: Actor, input: unknown): Promise<Segment> {
    const data = await this.parse(actor, input);
    const now = iso(this.clock.now());
    try {
      return await this.segments.insert(actor, { ...data, created_at: now });
    } catch (error) {
      throw duplicateOr(error);
    }
  }

  async update(actor: Actor, id: number, input: unknown): Promise<Segment> {
    await this.get(actor, id);
    const data = await this.parse(actor, input);
    try {
      const updated = await this.segments.update(actor, id, data);
      if (!updated) throw new NotFoundError("Segment not found");
      return updated;
    } catch (error) {
      throw duplicateOr(error);
    }
  }

  async delete(actor: Actor, id: number): Promise<void> {
    if (!(await this.segments.delete(actor, id))) throw new NotFoundError("Segment not found");
  }

  mailingsUsing(actor: Actor, id: number): Promise<{ id: number; name: string }[]> {
    return this.segments.mailingsUsing(actor, id);
  }

  /** The live count of a saved segment. */
  async count(actor: Actor, id: number): Promise<number> {
    const segment = await this.get(actor, id);
    return this.segments.count(actor, segment.parsed, await this.context(actor));
  }

  /** Count and sample of a definition (saved or being edited). */
  async preview(
    actor: Actor,
    definition: SegmentDefinition,
    sampleSize = 10,
  ): Promise<{ count: number; sample: Recipient[] }> {
    const ctx = await this.context(actor);
    const [count, sample] = await Promise.all([
      this.segments.count(actor, definition, ctx),
      this.segments.sample(actor, definition, ctx, sampleSize),
    ]);
    return { count, sample };
  }

  /** Matching ids in id order (tests). */
  async ids(actor: Actor, definition: SegmentDefinition): Promise<number[]> {
    return this.segments.ids(actor, definition, await this.context(actor));
  }

  private async context(actor: Actor): Promise<CompileContext> {
    return { fields: await loadFields(this.database.db, actor.id), now: this.clock.now() };
  }

  /** Validates the definition against what the owner has: their lists, fields (and value types), mailings. */
  private async parse(actor: Actor, input: unknown) {
    const data = parseInput(segmentSchema, input);
    const errors: Record<string, string> = {};
    const fields = await loadFields(this.database.db, actor.id);
    const db = this.database.db;
    for (const [i, c] of data.definition.conditions.entries()) {
      const at = `definition.conditions.${i}`;
      if (c.kind === "list") {
        const found = await db
          .selectFrom("lists")
          .select("id")
          .where("owner_id", "=", actor.id)
          .where("id", "=", c.list_id)
          .executeTakeFirst();
        if (!found) errors[`${at}.list_id`] = "Choose one of your lists.";
      } else if (c.kind === "received") {
        const found = await db
          .selectFrom("mailings")
          .select("id")
          .where("owner_id", "=", actor.id)
          .where("id", "=", c.mailing_id)
          .executeTakeFirst();
        if (!found) errors[`${at}.mailing_id`] = "Choose one of your mailings.";
      } else if (c.kind === "field") {
        const field = fields.get(c.key);
        if (!field) errors[`${at}.key`] = "Choose one of your custom fields.";
        else if (c.op !== "set") {
          const parsed = parseFieldValue(field.type, "The value", c.value);
          if (!parsed.ok) errors[`${at}.value`] = parsed.message;
          else if (parsed.value === null) errors[`${at}.value`] = "Enter the value to compare with.";
        }
      }
    }
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    return {
      name: data.name,
      name_normalized: normalizeName(data.name),
      definition: JSON.stringify(data.definition),
      updated_at: iso(this.clock.now()),
    };
  }
}

function withParsed(segment: Segment): SegmentView {
  const parsed = definitionSchema.safeParse(JSON.parse(segment.definition));
  return { ...segment, parsed: parsed.success ? parsed.data : { match: "all", conditions: [] } };
}

function duplicateOr(error: unknown): unknown {
  return isUniqueViolation(error)
    ? new ConflictError("You already have a segment with this name.", "name")
    : error;
}
