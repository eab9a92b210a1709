/** SQL for recipient imports: a batch's rows in one multi-row insert, and the import's progress row. */

import { sql, type Updateable } from "kysely";
import type { Executor } from "../../db/database.js";
import type { RecipientImport, RecipientImportTable } from "../../db/schema.js";
import type { Actor } from "../../shared/actor.js";

export interface ImportRow {
  email: string;
  email_normalized: string;
  full_name: string;
  comment: string;
}

/** Which fields an "update existing" import overwrites: only the columns the file has. */
export interface UpdateColumns {
  full_name: boolean;
  comment: boolean;
}

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

  /** Of the given normalized emails, those the actor already has. */
  async existingEmails(actor: Actor, emails: string[]): Promise<Set<string>> {
    if (emails.length === 0) return new Set();
    const rows = await this.db
      .selectFrom("recipients")
      .select("email_normalized")
      .where("owner_id", "=", actor.id)
      .where("email_normalized", "in", emails)
      .execute();
    return new Set(rows.map((r) => r.email_normalized));
  }

  /** Inserts the rows; an existing email is left alone, or (with `update`) gets the row's values. */
  async insertMany(
    actor: Actor,
    rows: ImportRow[],
    now: string,
    update: UpdateColumns | null,
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto("recipients")
      .values(rows.map((r) => ({ ...r, owner_id: actor.id, created_at: now, updated_at: now })))
      .onConflict((oc) => {
        const target = oc.columns(["owner_id", "email_normalized"]);
        if (!update) return target.doNothing();
        return target.doUpdateSet((eb) => ({
          email: eb.ref("excluded.email"),
          updated_at: eb.ref("excluded.updated_at"),
          ...(update.full_name ? { full_name: eb.ref("excluded.full_name") } : {}),
          ...(update.comment ? { comment: eb.ref("excluded.comment") } : {}),
        }));
      })
      .execute();
  }

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

  /** Puts the actor's recipients with these addresses in a list (one INSERT … SELECT; members stay). */
  async addToList(actor: Actor, listId: number, emails: string[], now: string): Promise<void> {
    if (emails.length === 0) return;
    await this.db
      .insertInto("list_members")
      .columns(["list_id", "recipient_id", "added_at"])
      .expression(
        this.db
          .selectFrom("recipients")
          .select([
            sql.lit(listId).as("list_id"),
            "recipients.id as recipient_id",
            sql.val(now).as("added_at"),
          ])
          .where("owner_id", "=", actor.id)
          .where("email_normalized", "in", emails),
      )
      .onConflict((oc) => oc.columns(["list_id", "recipient_id"]).doNothing())
      .execute();
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
