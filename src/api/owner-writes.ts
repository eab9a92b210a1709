/**
 * Managers and admins read other users' rows through the API as on the web, and are refused changing them
 * with a 403 (as the web refuses their Send now and retries), never a 404 for a row they can read.
 */
import type { Actor } from "../shared/actor.js";
import { ForbiddenError } from "../shared/errors.js";
import { isStaff } from "../shared/roles.js";

/**
 * Runs `write` for the row's owner. For staff it first reads the row the way they may (`view`, a 404 when
 * there is none) and refuses another user's with a 403; plain users get the write's own 404.
 */
export async function ownerWrite<T>(
  actor: Actor,
  what: string,
  view: () => Promise<{ owner_id: number }>,
  write: () => Promise<T>,
): Promise<T> {
  if (isStaff(actor) && (await view()).owner_id !== actor.id) {
    throw new ForbiddenError(
      `Managers and admins may read another user's ${what}; only its owner may change it.`,
    );
  }
  return write();
}
