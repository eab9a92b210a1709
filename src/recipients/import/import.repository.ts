/**
 * SQL for recipient imports outside the staging tables (import.staging.ts): the ids of a batch's
 * recipients for their custom fields, and the import's progress row.
 */

import type { Updateable } from "kysely";
import type { Executor } from "../../db/database.js";
import type { RecipientImport, RecipientImportTable } from "../../db/schema.js";
import type { Actor } from "../../shared/actor.js";

type ProgressFields = Partial<
  Pick<
    Updateable<RecipientImportTable>,
    | "status"
    | "bytes_read"
    | "rows"
    | "added"
    | "updated"
    | "skipped"
    | "invalid"
    | "problems"
    | "error"
    | "finished_at"
  >
>;

export class RecipientImportRepository {
  constructor(private readonly db: Executor) {}

  /** The ids of the actor's recipients with these addresses. */
  async idsByEmail(actor: Actor, emails: string[]): Promise<Map<string, number>> {
    if (emails.length === 0) return new Map();
    const rows = await this.db
      .selectFrom("recipients")
      .select(["id", "email_normalized"])
      .where("owner_id", "=", actor.id)
      .where("email_normalized", "in", emails)
      .execute();
    return new Map(rows.map((r) => [r.email_normalized, r.id]));
  }

  createJob(
    actor: Actor,
    job: Pick<RecipientImportTable, "key" | "file_name" | "update_existing" | "bytes_total" | "created_at">,
  ): Promise<RecipientImport> {
    return this.db
      .insertInto("recipient_imports")
      .values({ ...job, owner_id: actor.id, status: "running", updated_at: job.created_at })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async updateJob(actor: Actor, id: number, changes: ProgressFields, now: string): Promise<void> {
    await this.db
      .updateTable("recipient_imports")
      .set({ ...changes, updated_at: now })
      .where("id", "=", id)
      .where("owner_id", "=", actor.id)
      .execute();
  }

  findJob(actor: Actor, key: string): Promise<RecipientImport | undefined> {
    return this.db
      .selectFrom("recipient_imports")
      .selectAll()
      .where("owner_id", "=", actor.id)
      .where("key", "=", key)
      .executeTakeFirst();
  }

  recentJobs(actor: Actor, limit: number): Promise<RecipientImport[]> {
    return this.db
      .selectFrom("recipient_imports")
      .selectAll()
      .where("owner_id", "=", actor.id)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
  }
}
