/**
 * /api/v1/layouts: your layouts and the shared ones, with the same LayoutsService and rules as the layout
 * pages (another user's layout is a 404; a shared one you may only read is a 403 to change).
 */
import type { Services } from "../container.js";
import type { Layout, User } from "../db/schema.js";
import { canEdit, isShared } from "../layouts/layouts.service.js";
import { type ApiRouter, patched } from "./router.js";
import { layoutListOut, layoutOut } from "./schemas.js";

const shaped = (user: User) => (l: Layout) => ({
  ...l,
  shared: isShared(l),
  builtin: l.builtin === 1,
  editable: canEdit(user, l),
});

export function layoutsApi(api: ApiRouter, { layouts }: Services): void {
  const tag = "Layouts";
  api.route({
    method: "GET",
    path: "/layouts",
    tag,
    summary: "List your layouts and the shared ones",
    status: 200,
    response: layoutListOut,
    problems: [],
    handler: async ({ user }) => ({ items: (await layouts.list(user)).map(shaped(user)) }),
  });
  api.route({
    method: "GET",
    path: "/layouts/:id",
    tag,
    summary: "Get a layout",
    status: 200,
    response: layoutOut,
    problems: [404],
    handler: async ({ user, id }) => shaped(user)(await layouts.get(user, id)),
  });
  api.route({
    method: "POST",
    path: "/layouts",
    tag,
    summary: "Add a layout (shared: admins only)",
    body: "LayoutInput",
    status: 201,
    response: layoutOut,
    problems: [403, 422],
    handler: async ({ user, body }) => shaped(user)(await layouts.create(user, body)),
  });
  api.route({
    method: "PATCH",
    path: "/layouts/:id",
    tag,
    summary: "Change a layout (only the fields sent)",
    description: "Your own layouts; admins also change shared ones. Runs already made keep their layout.",
    body: "LayoutPatch",
    status: 200,
    response: layoutOut,
    problems: [403, 404, 422],
    handler: async ({ user, id, body }) => {
      const { name, html, text } = await layouts.editableBy(user, id);
      return shaped(user)(await layouts.update(user, id, patched({ name, html, text }, body)));
    },
  });
  api.route({
    method: "DELETE",
    path: "/layouts/:id",
    tag,
    summary: "Delete a layout",
    description: "Refused (409) for the built-in layout and for a layout a message uses.",
    status: 204,
    problems: [403, 404, 409],
    handler: async ({ user, id }) => {
      await layouts.delete(user, id);
    },
  });
}
