/**
 * Suppression lists: each owner's addresses that are never mailed (why, from where, when, and the delivery
 * that caused it). Run creation and the worker read the list (runs.store.ts, suppression.check.ts); this
 * service is what the pages, the API and the CLI call. Removing a suppression is audited.
 */

import { AuditRepository } from "../admin/audit.repository.js";
import type { Database } from "../db/database.js";
import type { Suppression, SuppressionSource } from "../db/schema.js";
import { csvLine } from "../recipients/export.js";
import type { Actor } from "../shared/actor.js";
import { type CursorPage, type CursorQuery, cursorPageOf, startOf } from "../shared/cursor.js";
import { ConflictError, NotFoundError } from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { type Page, pageOf } from "../shared/pagination.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { recipientSuppressed } from "../webhooks/webhooks.events.js";
import { SuppressionRepository } from "./suppression.repository.js";
import { type SuppressionListQuery, suppressionListQuery, suppressionSchema } from "./suppression.schemas.js";

/** Who removes a suppression, for the audit log. */
export type AuditedActor = Actor & { email: string };

export class SuppressionService {
  private readonly repo: SuppressionRepository;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
  ) {
    this.repo = new SuppressionRepository(database.db);
  }

  async list(actor: Actor, rawQuery: unknown): Promise<Page<Suppression> & { query: SuppressionListQuery }> {
    const query = suppressionListQuery.parse(rawQuery ?? {});
    const { items, total } = await this.repo.list(actor, query);
    return { ...pageOf(items, total, query.page, query.limit), query };
  }

  /** The API's keyset pages, in id order (see shared/cursor.ts). */
  async listByCursor(actor: Actor, query: CursorQuery): Promise<CursorPage<Suppression>> {
    const { dir, afterId } = startOf(query);
    const [rows, total] = await Promise.all([
      this.repo.listKeyset(actor, query.q, dir, afterId, query.limit),
      this.repo.countMatching(actor, query.q),
    ]);
    return cursorPageOf(rows, query.limit, dir, total);
  }

  async get(actor: Actor, id: number): Promise<Suppression> {
    const found = await this.repo.findById(actor, id);
    if (!found) throw new NotFoundError("Suppression not found");
    return found;
  }

  /** Why an address is suppressed for this owner, or undefined when it is not. */
  statusOf(actor: Actor, email: string): Promise<Suppression | undefined> {
    return this.repo.findByEmail(actor, normalizeEmail(email));
  }

  async add(actor: Actor, input: unknown, source: SuppressionSource): Promise<Suppression> {
    const data = parseInput(suppressionSchema, input);
    const now = this.clock.now();
    const added = await this.database.db.transaction().execute(async (tx) => {
      const row = await new SuppressionRepository(tx).insert(actor, {
        email: data.email,
        email_normalized: normalizeEmail(data.email),
        reason: data.reason,
        source,
        delivery_id: null,
        run_id: null,
        mailing_id: null,
        comment: data.comment || null,
        created_at: iso(now),
      });
      if (row) await recipientSuppressed(tx, row, now);
      return row;
    });
    if (!added) {
      const existing = await this.repo.findByEmail(actor, normalizeEmail(data.email));
      throw new ConflictError("This address is already suppressed.", "email", undefined, existing?.id);
    }
    return added;
  }

  /** Removes a suppression (the address may be mailed again) and writes who did it to the audit log. */
  async remove(actor: AuditedActor, id: number): Promise<Suppression> {
    const now = iso(this.clock.now());
    return this.database.db.transaction().execute(async (tx) => {
      const removed = await new SuppressionRepository(tx).delete(actor, id);
      if (!removed) throw new NotFoundError("Suppression not found");
      await new AuditRepository(tx).insert({
        actor_id: actor.id,
        actor_email: actor.email,
        action: "remove_suppression",
        target_type: "suppression",
        target_id: removed.id,
        target_label: removed.email,
        details: JSON.stringify({
          reason: removed.reason,
          source: removed.source,
          since: removed.created_at,
        }),
        created_at: now,
      });
      return removed;
    });
  }

  /** The owner's suppression list as CSV text chunks, formula-safe (recipients/export.ts). */
  async *csv(actor: Actor): AsyncGenerator<string> {
    yield `\uFEFF${csvLine(["email", "reason", "source", "created_at", "mailing_id", "comment"])}`;
    for await (const s of this.all(actor)) {
      yield csvLine([
        s.email,
        s.reason,
        s.source,
        s.created_at,
        s.mailing_id === null ? "" : String(s.mailing_id),
        s.comment ?? "",
      ]);
    }
  }

  /** Every suppression of the owner, a page at a time by id (for CSV export). */
  async *all(actor: Actor): AsyncGenerator<Suppression> {
    let after = 0;
    for (;;) {
      const rows = await this.repo.listAfter(actor, after, 500);
      if (rows.length === 0) return;
      yield* rows;
      after = rows.at(-1)!.id;
    }
  }
}
