/**
 * /api/v1/senders: everyone reads the sender identities (to pick one for a mailing); admins write them,
 * others get 403. The same SendersService as the admin pages, so the same rules and audit rows.
 */
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import { type ApiRouter, patched } from "./router.js";
import { senderListOut, senderOut } from "./schemas.js";

const audited = (user: User) => ({ id: user.id, role: user.role, email: user.email });

export function sendersApi(api: ApiRouter, { senders }: Services): void {
  const tag = "Senders";
  api.route({
    method: "GET",
    path: "/senders",
    tag,
    summary: "List the sender identities a mailing can send as",
    status: 200,
    response: senderListOut,
    problems: [],
    handler: async ({ user }) => ({ items: await senders.list(user) }),
  });
  api.route({
    method: "GET",
    path: "/senders/:id",
    tag,
    summary: "Get a sender identity",
    status: 200,
    response: senderOut,
    problems: [404],
    handler: ({ user, id }) => senders.get(user, id),
  });
  api.route({
    method: "POST",
    path: "/senders",
    tag,
    summary: "Add a sender identity (admins)",
    body: "SenderInput",
    status: 201,
    response: senderOut,
    problems: [403, 422],
    handler: ({ user, body }) => senders.create(audited(user), body),
  });
  api.route({
    method: "PATCH",
    path: "/senders/:id",
    tag,
    summary: "Change a sender identity (admins; only the fields sent)",
    description: "Runs already made keep the From they were made with.",
    body: "SenderPatch",
    status: 200,
    response: senderOut,
    problems: [403, 404, 422],
    handler: async ({ user, id, body }) => {
      const { from_name, from_email, reply_to, postal_address } = await senders.get(user, id);
      return senders.update(
        audited(user),
        id,
        patched({ from_name, from_email, reply_to, postal_address }, body),
      );
    },
  });
  api.route({
    method: "DELETE",
    path: "/senders/:id",
    tag,
    summary: "Delete a sender identity (admins)",
    description: "A sender that a mailing sends as cannot be deleted (409) until no mailing does.",
    status: 204,
    problems: [403, 404, 409],
    handler: async ({ user, id }) => {
      await senders.delete(audited(user), id);
    },
  });
}
