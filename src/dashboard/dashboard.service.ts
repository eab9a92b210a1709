/**
 * The home page: figures (an admin's span all users) and the user's latest mailings. The figures come from
 * counters the database keeps exact in each write's transaction (src/db/counters.ts), so they are read
 * fresh on every request: no cache, and no lag after the scheduler or a worker changes a mailing.
 */
import type { Database } from "../db/database.js";
import type { Actor } from "../shared/actor.js";
import { DashboardRepository, type Figures } from "./dashboard.repository.js";

export class DashboardService {
  private readonly repository: DashboardRepository;

  constructor(database: Database) {
    this.repository = new DashboardRepository(database.db);
  }

  /** Admins see figures across all users; everyone else sees their own. */
  async figures(actor: Actor): Promise<Figures & { scope: "own" | "all" }> {
    const all = actor.role === "admin";
    const figures = await this.repository.figures(all ? null : actor.id);
    return { ...figures, scope: all ? "all" : "own" };
  }

  /**
   * An owner's mailings or recipients changed. Nothing to do: the counters changed with the write. Kept so
   * the services that report their writes need not change.
   */
  async changed(_ownerId: number): Promise<void> {}
}
