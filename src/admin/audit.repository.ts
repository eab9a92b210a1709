/** SQL for the audit log. */
import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import { boundedCount, seekPage } from "../db/keyset.js";
import type { AuditAction, AuditEntry } from "../db/schema.js";
import { likePattern, MATCH_CAP, PAGE_SIZE, type Seek, seekOf } from "../shared/pagination.js";

export interface AuditFilter {
  action: AuditAction | "";
  q: string;
  page: number;
  after?: string | undefined;
  before?: string | undefined;
}

export class AuditRepository {
  constructor(private readonly db: Executor) {}

  async insert(entry: Omit<AuditEntry, "id">): Promise<void> {
    await this.db.insertInto("audit_log").values(entry).execute();
  }

  /**
   * A page of the log, newest first, by keyset on (created_at, id) from the filter's cursor
   * (audit_log_id_created_idx, or audit_log_action_created_idx with an action; migration 023), with a
   * count bounded by MATCH_CAP.
   */
  async list(
    filter: AuditFilter,
  ): Promise<{ rows: AuditEntry[]; seek: Seek; total: number; capped: boolean }> {
    const base = this.db
      .selectFrom("audit_log")
      .$if(filter.action !== "", (qb) => qb.where("action", "=", filter.action as AuditAction))
      .$if(filter.q !== "", (qb) =>
        qb.where(
          sql<boolean>`(lower(actor_email) like ${likePattern(filter.q)} escape '\\' or lower(target_label) like ${likePattern(filter.q)} escape '\\')`,
        ),
      );
    const seek = seekOf(filter);
    const [rows, matching] = await Promise.all([
      seekPage(base.selectAll(), sql.ref("audit_log.created_at"), "audit_log.id", "desc", seek, PAGE_SIZE),
      boundedCount(this.db, base, MATCH_CAP),
    ]);
    return { rows, seek, ...matching };
  }
}
