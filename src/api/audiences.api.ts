/**
 * /api/v1/lists (and their members by id or email), /segments (and their live count), and a mailing's
 * audience: the same services and schemas as the pages.
 */
import type { Services } from "../container.js";
import { ownerWrite } from "./owner-writes.js";
import type { ApiRouter } from "./router.js";
import {
  audienceOut,
  cursorListOf,
  cursorListQueryFor,
  listListOut,
  listOut,
  membersOut,
  ownerFilter,
  segmentCountOut,
  segmentListOut,
  segmentOut,
} from "./schemas.js";

const listView = <T extends { signup_enabled: number; signup_ask_name: number; signup_fields: string }>(
  l: T,
) => ({
  ...l,
  signup_enabled: l.signup_enabled === 1,
  signup_ask_name: l.signup_ask_name === 1,
  signup_fields: JSON.parse(l.signup_fields) as string[],
});
const segmentView = <T extends { definition: string }>(s: T) => ({
  ...s,
  definition: JSON.parse(s.definition) as unknown,
});

export function audiencesApi(
  api: ApiRouter,
  { lists, segments, audiences, mailings, admin }: Services,
): void {
  api.route({
    method: "GET",
    path: "/lists",
    tag: "Lists",
    summary: "List your lists with their member counts (search by name), by cursor",
    description:
      "Newest first; follow `next_cursor` (as `cursor`) until it is null. `page` and `sort` still give offset pages. Managers and admins read another user's lists with `owner_id`.",
    query: cursorListQueryFor(["name", "created_at"] as const).extend(ownerFilter),
    status: 200,
    response: listListOut,
    problems: [403, 404, 422],
    handler: async ({ user, query }) => {
      const reader = await admin.readerFor(user, query.owner_id);
      const page = await cursorListOf(
        query,
        () => lists.list(reader, query),
        (q) => lists.listByCursor(reader, q),
      );
      return { ...page, items: page.items.map(listView) };
    },
  });
  api.route({
    method: "POST",
    path: "/lists",
    tag: "Lists",
    summary: "Create a list (names are unique per user, ignoring case)",
    body: "ListInput",
    status: 201,
    response: listOut,
    problems: [409, 422],
    handler: async ({ user, body }) => listView(await lists.get(user, (await lists.create(user, body)).id)),
  });
  api.route({
    method: "GET",
    path: "/lists/:id",
    tag: "Lists",
    summary: "One list",
    description:
      "Managers and admins may read anyone's list, as on the web (read-only: deleting it or changing its members is a 403).",
    status: 200,
    response: listOut,
    problems: [404],
    handler: async ({ user, id }) => listView(await lists.view(user, id)),
  });
  api.route({
    method: "DELETE",
    path: "/lists/:id",
    tag: "Lists",
    summary: "Delete a list (its recipients stay)",
    status: 204,
    problems: [403, 404],
    handler: async ({ user, id }) => {
      await ownerWrite(
        user,
        "list",
        () => lists.view(user, id),
        () => lists.delete(user, id),
      );
    },
  });
  api.route({
    method: "POST",
    path: "/lists/:id/members",
    tag: "Lists",
    summary: "Add recipients to a list by id or email (yours only; others are reported in missing)",
    body: "MembersInput",
    status: 200,
    response: membersOut,
    problems: [403, 404, 422],
    handler: ({ user, id, body }) =>
      ownerWrite(
        user,
        "list",
        () => lists.view(user, id),
        () => lists.addMembers(user, id, body),
      ),
  });
  api.route({
    method: "DELETE",
    path: "/lists/:id/members",
    tag: "Lists",
    summary: "Remove recipients from a list by id or email (a JSON body like the POST's)",
    body: "MembersInput",
    status: 200,
    response: membersOut,
    problems: [403, 404, 422],
    handler: ({ user, id, body }) =>
      ownerWrite(
        user,
        "list",
        () => lists.view(user, id),
        () => lists.removeMembers(user, id, body),
      ),
  });

  api.route({
    method: "GET",
    path: "/segments",
    tag: "Segments",
    summary: "List your segments",
    status: 200,
    response: segmentListOut,
    problems: [],
    handler: async ({ user }) => ({ items: (await segments.all(user)).map(segmentView) }),
  });
  api.route({
    method: "POST",
    path: "/segments",
    tag: "Segments",
    summary:
      "Create a segment: conditions on email/name/comment, lists, custom fields and history, all or any",
    body: "SegmentInput",
    status: 201,
    response: segmentOut,
    problems: [409, 422],
    handler: async ({ user, body }) => segmentView(await segments.create(user, body)),
  });
  api.route({
    method: "GET",
    path: "/segments/:id",
    tag: "Segments",
    summary: "One segment",
    status: 200,
    response: segmentOut,
    problems: [404],
    handler: async ({ user, id }) => segmentView(await segments.get(user, id)),
  });
  api.route({
    method: "DELETE",
    path: "/segments/:id",
    tag: "Segments",
    summary: "Delete a segment (mailings using it no longer include or exclude it)",
    status: 204,
    problems: [404],
    handler: async ({ user, id }) => {
      await segments.delete(user, id);
    },
  });
  api.route({
    method: "GET",
    path: "/segments/:id/count",
    tag: "Segments",
    summary: "How many of your recipients match the segment now",
    status: 200,
    response: segmentCountOut,
    problems: [404],
    handler: async ({ user, id }) => ({ count: await segments.count(user, id) }),
  });

  const audienceOf = async (user: Parameters<typeof audiences.get>[0], id: number) => {
    const view = await audiences.get(user, id);
    return { ...view.rules, picked: view.picked, count: view.count };
  };
  api.route({
    method: "GET",
    path: "/mailings/:id/audience",
    tag: "Mailings",
    summary:
      "A mailing's audience: everyone / lists / segments included, lists / segments excluded, and about how many now",
    description:
      "Resolved again when each run is created. `picked` counts the individually picked recipients; `count.total` includes suppressed addresses, which are never sent (`count.suppressed`).",
    status: 200,
    response: audienceOut,
    problems: [404],
    handler: async ({ user, id }) => {
      // Managers and admins read anyone's mailing's audience, counted as its owner's.
      const mailing = await mailings.view(user, id);
      return audienceOf(mailing.owner_id === user.id ? user : { id: mailing.owner_id, role: "user" }, id);
    },
  });
  api.route({
    method: "PATCH",
    path: "/mailings/:id/audience",
    tag: "Mailings",
    summary: "Change a mailing's audience (the fields given replace the current ones)",
    body: "AudienceInput",
    status: 200,
    response: audienceOut,
    problems: [403, 404, 422],
    handler: ({ user, id, body }) =>
      ownerWrite(
        user,
        "mailing",
        () => mailings.view(user, id),
        async () => {
          const current = (await audiences.get(user, id)).rules;
          const given = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
          await audiences.set(user, id, { ...current, ...given });
          return audienceOf(user, id);
        },
      ),
  });
}
