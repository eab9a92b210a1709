/**
 * Sender identities: the From name and address, Reply-To and postal address a mailing sends as (none:
 * SMTP_FROM). Admins (and the operator at the command line) create, edit and delete them, each change
 * audited in its transaction; everyone signed in reads them to pick one. A sender that a mailing uses
 * cannot be deleted.
 */
import type { StaffActor } from "../admin/admin.service.js";
import { AuditRepository } from "../admin/audit.repository.js";
import type { Database, Executor } from "../db/database.js";
import { isForeignKeyViolation } from "../db/database.js";
import type { AuditAction, Sender } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../shared/errors.js";
import { isAdmin } from "../shared/roles.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { SendersRepository } from "./senders.repository.js";
import { senderSchema } from "./senders.schemas.js";

/** "Ada News <news@example.com>": how a sender reads in pickers, lists and the audit log. */
export function senderLabel(s: Pick<Sender, "from_name" | "from_email">): string {
  return `${s.from_name} <${s.from_email}>`;
}

export class SendersService {
  private readonly senders: SendersRepository;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
    /** SMTP_FROM: what a mailing without a sender sends as (shown as the picker's default). */
    readonly defaultFrom = "PostPilot <postpilot@localhost>",
  ) {
    this.senders = new SendersRepository(database.db);
  }

  private requireAdmin(actor: StaffActor): void {
    if (actor !== "cli" && !isAdmin(actor)) throw new ForbiddenError("Only admins can change senders.");
  }

  /** Every sender, by name: anyone signed in may pick one for their mailings. */
  list(_actor: Actor | "cli"): Promise<Sender[]> {
    return this.senders.list();
  }

  async get(_actor: Actor | "cli", id: number): Promise<Sender> {
    const sender = await this.senders.findById(id);
    if (!sender) throw new NotFoundError("Sender not found");
    return sender;
  }

  mailingsUsing(id: number): Promise<number> {
    return this.senders.mailingsUsing(id);
  }

  async create(actor: StaffActor, input: unknown): Promise<Sender> {
    this.requireAdmin(actor);
    const data = parseInput(senderSchema, input);
    const now = iso(this.clock.now());
    return this.database.db.transaction().execute(async (tx) => {
      const sender = await new SendersRepository(tx).insert({ ...data, created_at: now, updated_at: now });
      await this.audit(tx, actor, "create_sender", sender);
      return sender;
    });
  }

  async update(actor: StaffActor, id: number, input: unknown): Promise<Sender> {
    this.requireAdmin(actor);
    const before = await this.get(actor, id);
    const data = parseInput(senderSchema, input);
    const changed = (Object.keys(data) as (keyof typeof data)[]).filter((k) => data[k] !== before[k]);
    return this.database.db.transaction().execute(async (tx) => {
      const sender = await new SendersRepository(tx).update(id, {
        ...data,
        updated_at: iso(this.clock.now()),
      });
      if (!sender) throw new NotFoundError("Sender not found");
      if (changed.length > 0)
        await this.audit(tx, actor, "update_sender", sender, { changed: changed.join(", ") });
      return sender;
    });
  }

  async delete(actor: StaffActor, id: number): Promise<Sender> {
    this.requireAdmin(actor);
    const sender = await this.get(actor, id);
    const using = await this.senders.mailingsUsing(id);
    if (using > 0) throw inUse(using);
    try {
      return await this.database.db.transaction().execute(async (tx) => {
        if (!(await new SendersRepository(tx).delete(id))) throw new NotFoundError("Sender not found");
        await this.audit(tx, actor, "delete_sender", sender);
        return sender;
      });
    } catch (error) {
      // A mailing that picked it between the check and the delete: the foreign key has the last word.
      if (isForeignKeyViolation(error)) throw inUse(Math.max(1, await this.senders.mailingsUsing(id)));
      throw error;
    }
  }

  private async audit(
    db: Executor,
    actor: StaffActor,
    action: AuditAction,
    sender: Sender,
    details?: Record<string, string>,
  ): Promise<void> {
    await new AuditRepository(db).insert({
      actor_id: actor === "cli" ? null : actor.id,
      actor_email: actor === "cli" ? "command line" : actor.email,
      action,
      target_type: "sender",
      target_id: sender.id,
      target_label: senderLabel(sender),
      details: details ? JSON.stringify(details) : "",
      created_at: iso(this.clock.now()),
    });
  }
}

function inUse(count: number): ConflictError {
  const which = count === 1 ? "a mailing sends" : `${count} mailings send`;
  return new ConflictError(
    `This sender cannot be deleted: ${which} as it. Give ${count === 1 ? "that mailing" : "those mailings"} another sender (or the default) first.`,
  );
}
