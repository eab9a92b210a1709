/** Who may do what, beyond owning data: managers oversee (read, block, disable); admins also manage users. */
import type { Actor } from "./actor.js";

export const isStaff = (actor: Actor | null): boolean => actor?.role === "manager" || actor?.role === "admin";
export const isAdmin = (actor: Actor | null): boolean => actor?.role === "admin";
