/** The audit log page (admins): who did what to whose account or mailing, filterable. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { AuditEntry, User } from "../db/schema.js";
import { NotFoundError } from "../shared/errors.js";
import { isAdmin } from "../shared/roles.js";
import { formatInZone } from "../shared/time.js";
import { EmptyState, PageHeader, Pager } from "../web/components.js";
import { sendPage, type ViewContext, viewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";
import { actor, staffOf } from "./admin.pages.js";
import { AUDIT_ACTIONS } from "./admin.schemas.js";

const ACTION_LABELS: Record<(typeof AUDIT_ACTIONS)[number], string> = {
  block: "Blocked user",
  unblock: "Unblocked user",
  disable_mailing: "Disabled mailing",
  enable_mailing: "Enabled mailing",
  role_change: "Changed role",
  create_user: "Created user",
  update_user: "Edited user",
  delete_user: "Deleted user",
  remove_suppression: "Removed suppression",
  create_sender: "Created sender",
  update_sender: "Edited sender",
  delete_sender: "Deleted sender",
  create_layout: "Created shared layout",
  update_layout: "Edited shared layout",
  delete_layout: "Deleted shared layout",
  clear_throttle: "Cleared login throttle",
};

function targetLink(entry: AuditEntry) {
  if (entry.action.startsWith("delete_") || entry.target_type === "suppression" || entry.target_id === 0)
    return entry.target_label;
  const href = {
    user: `/admin/users/${entry.target_id}`,
    mailing: `/mailings/${entry.target_id}`,
    sender: `/admin/senders/${entry.target_id}/edit`,
    layout: `/layouts/${entry.target_id}/edit`,
    suppression: "",
  }[entry.target_type];
  return <a href={href}>{entry.target_label}</a>;
}

function details(entry: AuditEntry): string {
  if (!entry.details) return "";
  try {
    const parsed = JSON.parse(entry.details) as Record<string, string>;
    return parsed.from && parsed.to ? `${parsed.from} → ${parsed.to}` : Object.values(parsed).join(", ");
  } catch {
    return "";
  }
}

function auditPage(ctx: ViewContext, viewer: User, page: Awaited<ReturnType<Services["admin"]["auditLog"]>>) {
  const { query } = page;
  return renderPage(
    ctx,
    "Audit log",
    <>
      <PageHeader title="Audit log" />
      <form method="get" action="/admin/audit" class="row g-2 mb-3" role="search">
        <div class="col-sm-4">
          <label class="visually-hidden" for="action">
            Action
          </label>
          <select id="action" name="action" class="form-select">
            <option value="">All actions</option>
            {AUDIT_ACTIONS.map((a) => (
              <option value={a} selected={query.action === a}>
                {ACTION_LABELS[a]}
              </option>
            ))}
          </select>
        </div>
        <div class="col-sm-6">
          <label class="visually-hidden" for="q">
            Who or what
          </label>
          <input
            id="q"
            type="search"
            name="q"
            class="form-control"
            placeholder="Who or what (email, mailing name)"
            value={query.q}
            maxLength={200}
          />
        </div>
        <div class="col-sm-2">
          <button type="submit" class="btn btn-outline-secondary w-100">
            Filter
          </button>
        </div>
      </form>
      {page.total === 0 ? (
        <EmptyState icon="bi-journal-text" title="Nothing recorded">
          {query.action || query.q
            ? "Nothing matches the filter."
            : "Actions of managers and admins on other people's accounts and data appear here."}
        </EmptyState>
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table mb-0 table-cards">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((e) => (
                <tr>
                  <td class="text-nowrap" data-label="When">
                    {formatInZone(e.created_at, viewer.time_zone)}
                  </td>
                  <td class="text-break" data-label="Who">
                    {e.actor_email}
                  </td>
                  <td data-label="Action">{ACTION_LABELS[e.action]}</td>
                  <td class="text-break" data-label="Target">
                    {targetLink(e)}
                  </td>
                  <td class="text-break" data-label="Details">
                    {details(e)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} path="/admin/audit" params={{ action: query.action, q: query.q }} />
    </>,
  );
}

export function auditRoutes(app: FastifyInstance, services: Services): void {
  const { admin } = services;

  app.get("/admin/audit", async (req, reply) => {
    const viewer = staffOf(req);
    if (!isAdmin(viewer)) throw new NotFoundError();
    return sendPage(
      reply,
      auditPage(viewContext(req, reply), viewer, await admin.auditLog(actor(viewer), req.query)),
    );
  });
}
