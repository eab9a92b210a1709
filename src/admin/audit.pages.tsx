/** The audit log page (admins): who did what to whose account or mailing, filterable. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { AuditEntry, User } from "../db/schema.js";
import type { Translate } from "../i18n/index.js";
import { NotFoundError } from "../shared/errors.js";
import { isAdmin } from "../shared/roles.js";
import { formatInZone } from "../shared/time.js";
import { EmptyState, PageHeader, Pager } from "../web/components.js";
import { sendPage, type ViewContext, viewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";
import { actor, staffOf } from "./admin.pages.js";
import { AUDIT_ACTIONS, ROLES } from "./admin.schemas.js";

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

function details(entry: AuditEntry, t: Translate): string {
  if (!entry.details) return "";
  // Roles are stored in English ("user"); they are shown in the page's language.
  const role = (v: string | undefined) =>
    v && (ROLES as readonly string[]).includes(v) ? t(`accounts.role.${v}`) : (v ?? "");
  try {
    const parsed = JSON.parse(entry.details) as Record<string, string>;
    if (parsed.from && parsed.to) return `${role(parsed.from)} → ${role(parsed.to)}`;
    return Object.entries(parsed)
      .map(([k, v]) => (k === "role" ? role(v) : v))
      .join(", ");
  } catch {
    return "";
  }
}

function auditPage(ctx: ViewContext, viewer: User, page: Awaited<ReturnType<Services["admin"]["auditLog"]>>) {
  const { query } = page;
  const { t, locale } = ctx;
  const actionLabel = (a: (typeof AUDIT_ACTIONS)[number]) => t(`admin.audit.actions.${a}`);
  return renderPage(
    ctx,
    t("admin.audit.title"),
    <>
      <PageHeader title={t("admin.audit.title")} />
      <form method="get" action="/admin/audit" class="row g-2 mb-3" role="search">
        <div class="col-sm-4">
          <label class="visually-hidden" for="action">
            {t("admin.audit.action")}
          </label>
          <select id="action" name="action" class="form-select">
            <option value="">{t("admin.audit.allActions")}</option>
            {AUDIT_ACTIONS.map((a) => (
              <option value={a} selected={query.action === a}>
                {actionLabel(a)}
              </option>
            ))}
          </select>
        </div>
        <div class="col-sm-6">
          <label class="visually-hidden" for="q">
            {t("admin.audit.whoOrWhat")}
          </label>
          <input
            id="q"
            type="search"
            name="q"
            class="form-control"
            placeholder={t("admin.audit.placeholder")}
            value={query.q}
            maxLength={200}
          />
        </div>
        <div class="col-sm-2">
          <button type="submit" class="btn btn-outline-secondary w-100">
            {t("admin.audit.filter")}
          </button>
        </div>
      </form>
      {page.total === 0 ? (
        <EmptyState icon="bi-journal-text" title={t("admin.audit.empty")}>
          {query.action || query.q ? t("admin.audit.noMatch") : t("admin.audit.emptyText")}
        </EmptyState>
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table mb-0 table-cards">
            <thead>
              <tr>
                <th scope="col">{t("admin.audit.when")}</th>
                <th scope="col">{t("admin.audit.who")}</th>
                <th scope="col">{t("admin.audit.action")}</th>
                <th scope="col">{t("admin.audit.target")}</th>
                <th scope="col">{t("admin.audit.details")}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((e) => (
                <tr>
                  <td class="text-nowrap" data-label={t("admin.audit.when")}>
                    {formatInZone(e.created_at, viewer.time_zone, { locale })}
                  </td>
                  <td class="text-break" data-label={t("admin.audit.who")}>
                    {e.actor_email}
                  </td>
                  <td data-label={t("admin.audit.action")}>{actionLabel(e.action)}</td>
                  <td class="text-break" data-label={t("admin.audit.target")}>
                    {targetLink(e)}
                  </td>
                  <td class="text-break" data-label={t("admin.audit.details")}>
                    {details(e, t)}
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
