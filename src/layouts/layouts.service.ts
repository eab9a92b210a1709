/**
 * Layouts: the HTML and text frames a message sits in (`{{ content }}`). A user has their own; shared ones
 * (owner_id null: the built-in default and those admins add) serve everyone. Owners edit and delete their
 * own, admins the shared ones (audited); nobody deletes the built-in layout, nor a layout a message uses.
 * Both frames are checked as strict Liquid at save, so a run never meets a broken layout.
 */
import { AuditRepository } from "../admin/audit.repository.js";
import type { Database, Executor } from "../db/database.js";
import { isForeignKeyViolation } from "../db/database.js";
import type { AuditAction, Layout } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../shared/errors.js";
import { isAdmin } from "../shared/roles.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { checkTemplates, describeProblem, sampleContext } from "../templates/check.js";
import { LayoutsRepository } from "./layouts.repository.js";
import { type LayoutInput, layoutSchema, newLayoutSchema } from "./layouts.schemas.js";

/** Who changes a layout: a signed-in user (their email goes into the audit log for shared layouts). */
export type LayoutActor = Actor & { email: string };

export const isShared = (layout: Pick<Layout, "owner_id">): boolean => layout.owner_id === null;

/** Owners change their own layouts; admins change the shared ones. */
export function canEdit(actor: Actor, layout: Pick<Layout, "owner_id">): boolean {
  return isShared(layout) ? isAdmin(actor) : layout.owner_id === actor.id;
}

export class LayoutsService {
  private readonly layouts: LayoutsRepository;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
  ) {
    this.layouts = new LayoutsRepository(database.db);
  }

  /** The actor's layouts and the shared ones: what their messages can use. */
  list(actor: Actor): Promise<Layout[]> {
    return this.layouts.list(actor);
  }

  async get(actor: Actor, id: number): Promise<Layout> {
    const layout = await this.layouts.findUsable(actor, id);
    if (!layout) throw new NotFoundError("Layout not found");
    return layout;
  }

  async create(actor: LayoutActor, input: unknown): Promise<Layout> {
    const { shared, ...data } = parseInput(newLayoutSchema, input);
    if (shared && !isAdmin(actor)) throw new ForbiddenError("Only admins can add shared layouts.");
    this.check(data);
    const now = iso(this.clock.now());
    return this.database.db.transaction().execute(async (tx) => {
      const layout = await new LayoutsRepository(tx).insert({
        ...data,
        owner_id: shared ? null : actor.id,
        created_at: now,
        updated_at: now,
      });
      if (shared) await this.audit(tx, actor, "create_layout", layout);
      return layout;
    });
  }

  async update(actor: LayoutActor, id: number, input: unknown): Promise<Layout> {
    const before = await this.editableBy(actor, id);
    const data = parseInput(layoutSchema, input);
    this.check(data);
    return this.database.db.transaction().execute(async (tx) => {
      const layout = await new LayoutsRepository(tx).update(id, {
        ...data,
        updated_at: iso(this.clock.now()),
      });
      if (!layout) throw new NotFoundError("Layout not found");
      const changed = (["name", "html", "text"] as const).filter((k) => data[k] !== before[k]);
      if (isShared(layout) && changed.length > 0) {
        await this.audit(tx, actor, "update_layout", layout, { changed: changed.join(", ") });
      }
      return layout;
    });
  }

  /** How many messages use the layout (anyone's), and which of them are the actor's. */
  async usage(actor: Actor, id: number): Promise<{ count: number; own: { id: number; subject: string }[] }> {
    const [count, own] = await Promise.all([
      this.layouts.messagesUsing(id),
      this.layouts.ownMessagesUsing(actor, id),
    ]);
    return { count, own };
  }

  async delete(actor: LayoutActor, id: number): Promise<Layout> {
    const layout = await this.editableBy(actor, id);
    if (layout.builtin) {
      throw new ConflictError(
        "The built-in layout cannot be deleted. Edit it instead, if it needs to change.",
      );
    }
    const using = await this.layouts.messagesUsing(id);
    if (using > 0) throw inUse(using);
    try {
      return await this.database.db.transaction().execute(async (tx) => {
        if (!(await new LayoutsRepository(tx).delete(id))) throw new NotFoundError("Layout not found");
        if (isShared(layout)) await this.audit(tx, actor, "delete_layout", layout);
        return layout;
      });
    } catch (error) {
      // A message that picked it between the check and the delete: the foreign key has the last word.
      if (isForeignKeyViolation(error)) throw inUse(Math.max(1, await this.layouts.messagesUsing(id)));
      throw error;
    }
  }

  /** A layout the actor may change: 404 if they cannot see it, 403 if they can only read it (shared). */
  async editableBy(actor: Actor, id: number): Promise<Layout> {
    const layout = await this.get(actor, id);
    if (!canEdit(actor, layout)) throw new ForbiddenError("Only admins can change shared layouts.");
    return layout;
  }

  /** Both frames as strict Liquid against sample values: the first problem of each, with line and column. */
  private check(data: LayoutInput): void {
    const problems = checkTemplates(
      [
        { field: "html", source: data.html, html: true, layout: true },
        { field: "text", source: data.text, html: false, layout: true },
      ],
      sampleContext([], this.clock.now()),
    );
    if (problems.length > 0) {
      throw new ValidationError(Object.fromEntries(problems.map((p) => [p.field, describeProblem(p)])));
    }
  }

  private async audit(
    db: Executor,
    actor: LayoutActor,
    action: AuditAction,
    layout: Layout,
    details?: Record<string, string>,
  ): Promise<void> {
    await new AuditRepository(db).insert({
      actor_id: actor.id,
      actor_email: actor.email,
      action,
      target_type: "layout",
      target_id: layout.id,
      target_label: layout.name,
      details: details ? JSON.stringify(details) : "",
      created_at: iso(this.clock.now()),
    });
  }
}

function inUse(count: number): ConflictError {
  const which = count === 1 ? "a message uses" : `${count.toLocaleString("en-US")} messages use`;
  return new ConflictError(
    `This layout cannot be deleted: ${which} it. Give ${count === 1 ? "that message" : "those messages"} another layout (or none) first.`,
  );
}
