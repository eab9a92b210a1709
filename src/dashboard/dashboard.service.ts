/** The home page: figures (an admin's span all users) and the user's latest mailings. */
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
    return { ...(await this.repository.figures(all ? null : actor.id)), scope: all ? "all" : "own" };
  }
}
