/**
 * The home page: figures (a manager's or admin's span all users unless they ask for their own) and the user's latest mailings. The figures come from
 * counters the database keeps exact in each write's transaction (src/db/counters.ts), so they are read
 * fresh on every request: no cache, and no lag after the scheduler or a worker changes a mailing.
 */
import type { Database } from "../db/database.js";
import type { Actor } from "../shared/actor.js";
import { isStaff } from "../shared/roles.js";
import type { Scope } from "../shared/scope.js";
import { DashboardRepository, type Figures } from "./dashboard.repository.js";

export class DashboardService {
  private readonly repository: DashboardRepository;

  constructor(database: Database) {
    this.repository = new DashboardRepository(database.db);
  }

  /**
   * Managers and admins see figures across all users (owner_id 0 in the counters) unless they ask for their
   * own (scope "mine"); everyone else sees their own.
   */
  async figures(actor: Actor, scope: Scope = "all"): Promise<Figures & { scope: Scope }> {
    const all = isStaff(actor) && scope === "all";
    const figures = await this.repository.figures(all ? null : actor.id);
    return { ...figures, scope: all ? "all" : "mine" };
  }

  /**
   * An owner's mailings or recipients changed. Nothing to do: the counters changed with the write. Kept so
   * the services that report their writes need not change.
   */
  async changed(_ownerId: number): Promise<void> {}
}
