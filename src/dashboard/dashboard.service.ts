/**
 * The home page: figures (an admin's span all users) and the user's latest mailings. Figures are cached
 * per owner (and for "all") under version keys; services call `changed(ownerId)` after a write, and a
 * short TTL covers what the scheduler and workers change on their own (a mailing becoming Running or
 * Completed).
 */
import type { Cache } from "../cache/cache.js";
import { MemoryCache } from "../cache/memory.cache.js";
import { Versioned } from "../cache/versioned.js";
import type { Database } from "../db/database.js";
import type { Actor } from "../shared/actor.js";
import { DashboardRepository, type Figures } from "./dashboard.repository.js";

export const FIGURES_TTL_MS = 15_000;

const scopeOf = (ownerId: number | "all") => `figures:${ownerId}`;

export class DashboardService {
  private readonly repository: DashboardRepository;
  private readonly cache: Versioned;

  constructor(database: Database, cache: Cache = new MemoryCache()) {
    this.repository = new DashboardRepository(database.db);
    this.cache = new Versioned(cache);
  }

  /** Admins see figures across all users; everyone else sees their own. */
  async figures(actor: Actor): Promise<Figures & { scope: "own" | "all" }> {
    const all = actor.role === "admin";
    const figures = await this.cache.getOrLoad(
      scopeOf(all ? "all" : actor.id),
      "figures",
      FIGURES_TTL_MS,
      () => this.repository.figures(all ? null : actor.id),
    );
    return { ...figures, scope: all ? "all" : "own" };
  }

  /** An owner's mailings or recipients changed: their figures and the all-users figures are stale. */
  async changed(ownerId: number): Promise<void> {
    await this.cache.bump(scopeOf(ownerId), scopeOf("all"));
  }
}
