/** Admin pages: the user list. (User management beyond the list belongs to the accounts issue.) */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Services } from "../container.js";
import { NotFoundError } from "../shared/errors.js";
import { LIMITS, optionalText } from "../shared/fields.js";
import { formatInZone } from "../shared/time.js";
import { PageHeader, Pager, SearchForm } from "../web/components.js";
import { requireUser, sendPage, viewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";

const userListQuery = z.object({
  q: optionalText("Search", LIMITS.search).catch(""),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
});

const ROLE_BADGES = {
  admin: "text-bg-danger",
  manager: "text-bg-warning",
  user: "text-bg-secondary",
} as const;

export function adminRoutes(app: FastifyInstance, services: Services): void {
  app.get("/admin/users", async (req, reply) => {
    const user = requireUser(req);
    if (user.role !== "admin") throw new NotFoundError();
    const query = userListQuery.parse(req.query ?? {});
    const page = await services.accounts.listUsers(user, query);
    const ctx = viewContext(req, reply);
    const body = (
      <>
        <PageHeader title="Users" />
        <SearchForm
          path="/admin/users"
          query={{ q: query.q, sort: "created_at", dir: "asc" }}
          label="Search by email or name"
        />
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table mb-0">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((u) => (
                <tr>
                  <td>{u.email}</td>
                  <td>{u.name}</td>
                  <td>
                    <span class={`badge ${ROLE_BADGES[u.role]}`}>{u.role}</span>
                  </td>
                  <td>{formatInZone(u.created_at, user.time_zone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pager page={page} path="/admin/users" params={{ q: query.q }} />
      </>
    );
    return sendPage(reply, renderPage(ctx, "Users", body));
  });
}
