/**
 * A mailing's audience: which of everyone / lists / segments it includes and which lists / segments it
 * excludes (the individually picked recipients are MailingsService's members). Each run resolves it when it
 * is created; count() says how many that would be now.
 */
import type { Database } from "../db/database.js";
import { ListsRepository } from "../lists/lists.repository.js";
import { MailingsRepository } from "../mailings/mailings.repository.js";
import { SegmentsRepository } from "../segments/segments.repository.js";
import type { Actor } from "../shared/actor.js";
import { NotFoundError, ValidationError } from "../shared/errors.js";
import { type Clock, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { type AudienceCount, AudienceRepository } from "./audience.repository.js";
import { type AudienceInput, audienceSchema } from "./audience.schemas.js";

export interface AudienceView {
  mailing: { id: number; name: string; owner_id: number };
  rules: AudienceInput;
  count: AudienceCount;
  /** How many are individually picked. */
  picked: number;
}

export class AudienceService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
    /** Told after a change (wakes the scheduler: a mailing may now have someone to send to). */
    private readonly changed: (ownerId: number) => void | Promise<void> = () => {},
  ) {}

  async get(actor: Actor, mailingId: number): Promise<AudienceView> {
    const mailing = await this.mailing(actor, mailingId);
    const audiences = new AudienceRepository(this.database.db);
    const [rules, count, picked] = await Promise.all([
      audiences.rulesOf(mailingId),
      audiences.count(mailingId, actor.id, this.clock.now()),
      new MailingsRepository(this.database.db).pickedCount(mailingId),
    ]);
    return { mailing, rules, count, picked };
  }

  /** Replaces the audience; every list and segment named must be the actor's. */
  async set(actor: Actor, mailingId: number, input: unknown): Promise<AudienceInput> {
    await this.mailing(actor, mailingId);
    const audience = parseInput(audienceSchema, input);
    const lists = new Set((await new ListsRepository(this.database.db).all(actor)).map((l) => l.id));
    const segments = new Set((await new SegmentsRepository(this.database.db).all(actor)).map((s) => s.id));
    const errors: Record<string, string> = {};
    if ([...audience.lists, ...audience.exclude_lists].some((id) => !lists.has(id)))
      errors.lists = "Choose your own lists.";
    if ([...audience.segments, ...audience.exclude_segments].some((id) => !segments.has(id))) {
      errors.segments = "Choose your own segments.";
    }
    if (audience.lists.some((id) => audience.exclude_lists.includes(id))) {
      errors.exclude_lists = "A list cannot be both included and excluded.";
    }
    if (audience.segments.some((id) => audience.exclude_segments.includes(id))) {
      errors.exclude_segments = "A segment cannot be both included and excluded.";
    }
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    await this.database.db
      .transaction()
      .execute((tx) => new AudienceRepository(tx).replace(mailingId, audience));
    await this.changed(actor.id);
    return audience;
  }

  /** How many a run created now would reach (for the API's `audience` and the CLI). */
  async count(actor: Actor, mailingId: number): Promise<AudienceCount> {
    await this.mailing(actor, mailingId);
    return new AudienceRepository(this.database.db).count(mailingId, actor.id, this.clock.now());
  }

  private async mailing(actor: Actor, mailingId: number) {
    const m = await new MailingsRepository(this.database.db).findOwned(actor, mailingId);
    if (!m) throw new NotFoundError("Mailing not found");
    return m;
  }
}
