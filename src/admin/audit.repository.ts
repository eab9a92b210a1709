/** SQL for the audit log. */
import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { AuditAction, AuditEntry } from "../db/schema.js";
import { likePattern, PAGE_SIZE } from "../shared/pagination.js";

export interface AuditFilter {
  action: AuditAction | "";
  q: string;
  page: number;
}

export class AuditRepository {
  constructor(private readonly db: Executor) {}

  async insert(entry: Omit<AuditEntry, "id">): Promise<void> {
    await this.db.insertInto("audit_log").values(entry).execute();
  }

  async list(filter: AuditFilter): Promise<{ items: AuditEntry[]; total: number }> {
    const base = this.db
      .selectFrom("audit_log")
      .$if(filter.action !== "", (qb) => qb.where("action", "=", filter.action as AuditAction))
      .$if(filter.q !== "", (qb) =>
        qb.where(
          sql<boolean>`(lower(actor_email) like ${likePattern(filter.q)} escape '\\' or lower(target_label) like ${likePattern(filter.q)} escape '\\')`,
        ),
      );
    const [items, total] = await Promise.all([
      base
        .selectAll()
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(PAGE_SIZE)
        .offset((filter.page - 1) * PAGE_SIZE)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }
}
