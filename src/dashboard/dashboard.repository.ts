/** The home page figures: one user's, or (for managers and admins) everyone's, read from the exact counters. */
import type { Executor } from "../db/database.js";

export interface Figures {
  mailings: number;
  activeMailings: number;
  uniqueRecipients: number;
}

export class DashboardRepository {
  constructor(private readonly db: Executor) {}

  /**
   * ownerId null means across all users. Unique recipients are distinct normalized addresses. The counters
   * (migration 019, src/db/counters.ts) are kept by triggers in each write's transaction: one primary-key read.
   */
  async figures(ownerId: number | null): Promise<Figures> {
    const rows = await this.db
      .selectFrom("counters")
      .where("owner_id", "=", ownerId ?? 0)
      .where("name", "in", ["mailings", "active_mailings", "recipients"])
      .select(["name", "value"])
      .execute();
    const value = (name: string) => Number(rows.find((r) => r.name === name)?.value ?? 0);
    return {
      mailings: value("mailings"),
      activeMailings: value("active_mailings"),
      uniqueRecipients: value("recipients"),
    };
  }
}
