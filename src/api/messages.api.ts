/** /api/v1/messages: the same service and schemas as the message pages. */
import type { Services } from "../container.js";
import { MESSAGE_SORTS } from "../messages/messages.schemas.js";
import { type ApiRouter, patched } from "./router.js";
import {
  cursorListOf,
  cursorListQueryFor,
  messageListOut,
  messageOut,
  previewOut,
  testSendOut,
} from "./schemas.js";

export function messagesApi(api: ApiRouter, { messages }: Services): void {
  const tag = "Messages";
  api.route({
    method: "GET",
    path: "/messages",
    tag,
    summary: "List messages (search subject and body), by cursor",
    description:
      "Newest first; follow `next_cursor` (as `cursor`) until it is null. `page` and `sort` still give offset pages.",
    query: cursorListQueryFor(MESSAGE_SORTS),
    status: 200,
    response: messageListOut,
    problems: [422],
    handler: ({ user, query }) =>
      cursorListOf(
        query,
        () => messages.list(user, query),
        (q) => messages.listByCursor(user, q),
      ),
  });
  api.route({
    method: "POST",
    path: "/messages",
    tag,
    summary: "Write a message",
    description:
      "Subject and body are Liquid templates (see the message form's help). A template that does not parse, or uses an unknown variable or filter, is refused with 422 naming the line and column.",
    body: "MessageInput",
    status: 201,
    response: messageOut,
    problems: [422],
    handler: ({ user, body }) => messages.create(user, body),
  });
  api.route({
    method: "GET",
    path: "/messages/:id",
    tag,
    summary: "Get a message",
    status: 200,
    response: messageOut,
    problems: [404],
    handler: ({ user, id }) => messages.get(user, id),
  });
  api.route({
    method: "PATCH",
    path: "/messages/:id",
    tag,
    summary: "Change a message (only the fields sent)",
    body: "MessagePatch",
    status: 200,
    response: messageOut,
    problems: [404, 422],
    handler: async ({ user, id, body }) => {
      const { subject, body: text, format, layout_id } = await messages.get(user, id);
      return messages.update(user, id, patched({ subject, body: text, format, layout_id }, body));
    },
  });
  api.route({
    method: "DELETE",
    path: "/messages/:id",
    tag,
    summary: "Delete a message",
    description: "A message that a mailing uses cannot be deleted (409) until the mailing is.",
    status: 204,
    problems: [404, 409],
    handler: ({ user, id }) => messages.delete(user, id),
  });
  api.route({
    method: "POST",
    path: "/messages/:id/preview",
    tag,
    summary: "Render a message as a run would, for one of your recipients or sample values",
    body: "PreviewInput",
    status: 200,
    response: previewOut,
    problems: [404, 422],
    handler: async ({ user, id, body }) => {
      const p = await messages.preview(user, id, body);
      return { subject: p.subject, from: p.from, text: p.text, html: p.html, rendered_for: p.renderedFor };
    },
  });
  api.route({
    method: "POST",
    path: "/messages/:id/test",
    tag,
    summary: "Send a test of a message ([Test] in the subject) to yourself or up to 5 addresses",
    description:
      "Queued and sent by the account-mail sender; never a run. At most 20 test emails an hour (409 beyond).",
    body: "TestSendInput",
    status: 202,
    response: testSendOut,
    problems: [404, 409, 422],
    handler: ({ user, id, body }) => messages.sendTest(user, id, body),
  });
}
