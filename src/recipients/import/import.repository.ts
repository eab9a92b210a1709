/**
 * SQL for recipient imports: a batch's rows in one multi-row insert (SQLite) or COPYed into a temporary
 * table and written with one INSERT … SELECT (PostgreSQL), and the import's progress row.
 */

import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql, type Updateable } from "kysely";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
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

/** A CSV cell for COPY … (format csv): always quoted, quotes doubled, so any text goes through as it is. */
const csvCell = (value: string) => `"${value.replaceAll('"', '""')}"`;

async function* copyLines(rows: ImportRow[]): AsyncGenerator<string> {
  for (let i = 0; i < rows.length; i += 500) {
    let text = "";
    for (const r of rows.slice(i, i + 500))
      text += `${csvCell(r.email)},${csvCell(r.email_normalized)},${csvCell(r.full_name)},${csvCell(r.comment)}\n`;
    yield text;
  }
}

/**
 * PostgreSQL: puts the rows in a temporary table `import_rows`, dropped when the transaction ends, by COPY
 * on `client`, the connection `tx` runs on. The repository's `staged` methods then read it.
 */
export async function stageImportRows(client: pg.PoolClient, tx: Executor, rows: ImportRow[]): Promise<void> {
  await sql`create temporary table import_rows (email text not null, email_normalized text not null,
    full_name text not null, comment text not null) on commit drop`.execute(tx);
  await pipeline(
    Readable.from(copyLines(rows)),
    client.query(copyFrom("copy import_rows from stdin (format csv)")),
  );
  await sql`create index on import_rows (email_normalized)`.execute(tx);
  await sql`analyze import_rows`.execute(tx);
}

export class RecipientImportRepository {
  /** staged: the batch is in import_rows (PostgreSQL, stageImportRows), not passed to each query. */
  constructor(
    private readonly db: Executor,
    private readonly staged = false,
  ) {}

  /** Of the given normalized emails, those the actor already has. */
  async existingEmails(actor: Actor, emails: string[]): Promise<Set<string>> {
    if (emails.length === 0) return new Set();
    if (this.staged) {
      const { rows } = await sql<{ email_normalized: string }>`select s.email_normalized from import_rows s
        join recipients r on r.owner_id = ${actor.id} and r.email_normalized = s.email_normalized`.execute(
        this.db,
      );
      return new Set(rows.map((r) => r.email_normalized));
    }
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
    if (this.staged) {
      // Every staged row: one already there is left alone (or updated) by the conflict clause, as below.
      const set = update
        ? sql`do update set email = excluded.email, updated_at = excluded.updated_at${
            update.full_name ? sql`, full_name = excluded.full_name` : sql``
          }${update.comment ? sql`, comment = excluded.comment` : sql``}`
        : sql`do nothing`;
      await sql`insert into recipients (owner_id, email, email_normalized, full_name, comment, created_at, updated_at)
        select ${actor.id}, email, email_normalized, full_name, comment, ${now}, ${now} from import_rows
        order by email_normalized
        on conflict (owner_id, email_normalized) ${set}`.execute(this.db);
      return;
    }
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
    if (this.staged) {
      await sql`insert into list_members (list_id, recipient_id, added_at)
        select ${listId}, r.id, ${now} from import_rows s
        join recipients r on r.owner_id = ${actor.id} and r.email_normalized = s.email_normalized
        on conflict (list_id, recipient_id) do nothing`.execute(this.db);
      return;
    }
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
