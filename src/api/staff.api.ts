/**
 * Managers' and admins' endpoints: the user list, block / unblock, disable / enable any mailing. The same
 * AdminService as the staff pages, so the same rules (managers block only users, nobody blocks themselves,
 * the last admin stays) and the same audit log entries.
 */
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import type { ApiRouter } from "./router.js";
import { cursorListOf, mailingOut, userListOut, userListQuery, userOut } from "./schemas.js";

const staff = (user: User) => ({ id: user.id, role: user.role, email: user.email });

export function staffApi(api: ApiRouter, { admin, mailings }: Services): void {
  const tag = "Staff";
  api.route({
    method: "GET",
    path: "/users",
    tag,
    summary: "List users (managers and admins), by cursor",
    description:
      "Newest first; follow `next_cursor` (as `cursor`) until it is null. `page` still gives the offset pages of 25, oldest first.",
    query: userListQuery,
    status: 200,
    response: userListOut,
    problems: [404, 422],
    handler: ({ user, query }) =>
      cursorListOf(
        query,
        () => admin.listUsers(staff(user), query),
        (q) => admin.listUsersByCursor(staff(user), q),
      ),
  });
  for (const [action, blocked] of [
    ["block", true],
    ["unblock", false],
  ] as const) {
    api.route({
      method: "POST",
      path: `/users/:id/${action}`,
      tag,
      summary: blocked
        ? "Block a user: logged out everywhere, no login, tokens refused, mailings stop (managers and admins)"
        : "Unblock a user (managers and admins)",
      status: 200,
      response: userOut,
      problems: [403, 404, 409],
      handler: async ({ user, id }) => admin.setBlocked(staff(user), id, blocked),
    });
  }
  for (const [action, disabled] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    api.route({
      method: "POST",
      path: `/mailings/:id/${action}`,
      tag,
      summary: disabled
        ? "Disable any mailing: it does not send until enabled (managers and admins)"
        : "Enable a disabled mailing (managers and admins)",
      status: 200,
      response: mailingOut,
      problems: [404],
      handler: async ({ user, id }) => {
        await admin.setMailingDisabled(staff(user), id, disabled);
        return mailings.view(user, id);
      },
    });
  }
}
