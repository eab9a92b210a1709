/**
 * Whose rows a list shows: the viewer's own ("mine"), or for managers and admins every user's ("all"),
 * optionally narrowed to one owner. Others' rows are read-only; the services refuse writes to them.
 */
import { z } from "zod";
import type { Actor } from "./actor.js";
import { id } from "./fields.js";
import { isStaff } from "./roles.js";

export const SCOPES = ["mine", "all"] as const;
export type Scope = (typeof SCOPES)[number];

/** Query fields added to the lists that have an "All users" scope. */
export const scopeFields = {
  scope: z.enum(SCOPES).catch("mine"),
  owner: id.optional().catch(undefined),
};

export interface ScopeQuery {
  scope: Scope;
  owner?: number | undefined;
}

/**
 * The owner filter a repository applies: the actor's id, or (staff asking for all users) the chosen
 * owner's id, or null for everyone. A plain user asking for "all" still gets their own rows.
 */
export function ownerFilter(actor: Actor, query: ScopeQuery): number | null {
  if (query.scope !== "all" || !isStaff(actor)) return actor.id;
  return query.owner ?? null;
}

/** The scope a list really shows (a plain user's "all" is "mine"). */
export function effectiveScope(actor: Actor, query: ScopeQuery): Scope {
  return query.scope === "all" && isStaff(actor) ? "all" : "mine";
}
