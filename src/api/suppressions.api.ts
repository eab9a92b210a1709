/** /api/v1/suppressions and a recipient's suppression status: the same service and schemas as the pages. */
import type { Services } from "../container.js";
import type { ApiRouter } from "./router.js";
import {
  cursorListOf,
  cursorListQueryFor,
  suppressionListOut,
  suppressionOut,
  suppressionStatusOut,
} from "./schemas.js";

export function suppressionsApi(api: ApiRouter, { suppressions, recipients }: Services): void {
  const tag = "Suppressions";
  api.route({
    method: "GET",
    path: "/suppressions",
    tag,
    summary: "List suppressed addresses, newest first (search by email), by cursor",
    description:
      "Follow `next_cursor` (as `cursor`) until it is null; rows added meanwhile are not repeated and push nothing out. `page` and `sort` still give offset pages.",
    query: cursorListQueryFor(["created_at"] as const),
    status: 200,
    response: suppressionListOut,
    problems: [422],
    handler: ({ user, query }) =>
      cursorListOf(
        query,
        () => suppressions.list(user, query),
        (q) => suppressions.listByCursor(user, q),
      ),
  });
  api.route({
    method: "POST",
    path: "/suppressions",
    tag,
    summary: "Suppress an address (mailings never send to it)",
    description:
      "Unique per user, ignoring case and spaces: an address already suppressed is a 409 naming it.",
    body: "SuppressionInput",
    status: 201,
    response: suppressionOut,
    problems: [409, 422],
    handler: ({ user, body }) => suppressions.add(user, body, "api"),
  });
  api.route({
    method: "DELETE",
    path: "/suppressions/:id",
    tag,
    summary: "Remove a suppression (the address may be mailed again; written to the audit log)",
    status: 204,
    problems: [404],
    handler: async ({ user, id }) => {
      await suppressions.remove(user, id);
    },
  });
  api.route({
    method: "GET",
    path: "/recipients/:id/suppression",
    tag,
    summary: "Whether a recipient is suppressed (unsubscribed, bounced, complained, added by hand) and why",
    description: "Managers and admins may read it for anyone's recipient, on its owner's suppression list.",
    status: 200,
    response: suppressionStatusOut,
    problems: [404],
    handler: async ({ user, id }) => {
      const recipient = await recipients.view(user, id);
      const owner = { id: recipient.owner_id, role: "user" as const };
      const suppression = (await suppressions.statusOf(owner, recipient.email)) ?? null;
      return { suppressed: suppression !== null, suppression };
    },
  });
}
