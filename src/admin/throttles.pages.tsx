/** Login throttles (admins): which accounts are being guessed at, from where, and a way to clear them. */
import type { FastifyInstance } from "fastify";
import type { ThrottleRow } from "../accounts/login-throttle.service.js";
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import { formatNumber } from "../i18n/index.js";
import { NotFoundError, ValidationError } from "../shared/errors.js";
import { isAdmin } from "../shared/roles.js";
import { formatInZone } from "../shared/time.js";
import { CsrfField, EmptyState, PageHeader } from "../web/components.js";
import { redirectWith, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { formBody } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import { actor, staffOf } from "./admin.pages.js";

function throttlesPage(ctx: ViewContext, viewer: User, rows: ThrottleRow[]) {
  const { t, locale } = ctx;
  const when = (v: string | null) => formatInZone(v, viewer.time_zone, { seconds: true, locale });
  return renderPage(
    ctx,
    t("admin.throttles.title"),
    <>
      <PageHeader title={t("admin.throttles.title")} />
      <p class="text-body-secondary">{t("admin.throttles.intro")}</p>
      {rows.length === 0 ? (
        <EmptyState icon="bi-shield-check" title={t("admin.throttles.empty")}>
          {t("admin.throttles.emptyText")}
        </EmptyState>
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table mb-0 align-middle">
            <thead>
              <tr>
                <th scope="col">{t("admin.throttles.account")}</th>
                <th scope="col">{t("admin.throttles.address")}</th>
                <th scope="col">{t("admin.throttles.failures")}</th>
                <th scope="col">{t("admin.throttles.lastFailure")}</th>
                <th scope="col">{t("admin.throttles.blockedUntil")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("common.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <td class="text-break">{r.account}</td>
                  <td>{r.client === "*" ? <em>{t("admin.throttles.allAddresses")}</em> : r.client}</td>
                  <td>{formatNumber(locale, r.failures)}</td>
                  <td class="text-nowrap">{when(r.lastFailedAt)}</td>
                  <td class="text-nowrap">{r.blockedUntil ? when(r.blockedUntil) : "—"}</td>
                  <td class="text-end">
                    {r.client === "*" && (
                      <form method="post" action="/admin/throttles/clear" class="d-inline">
                        <CsrfField token={ctx.csrfToken} />
                        <input type="hidden" name="account" value={r.account} />
                        <button type="submit" class="btn btn-sm btn-outline-secondary">
                          {t("common.clear")}
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>,
  );
}

export function throttleRoutes(app: FastifyInstance, services: Services): void {
  const { admin } = services;

  app.get("/admin/throttles", async (req, reply) => {
    const viewer = staffOf(req);
    if (!isAdmin(viewer)) throw new NotFoundError();
    const rows = await admin.loginThrottles(actor(viewer));
    return sendPage(reply, throttlesPage(viewContext(req, reply), viewer, rows));
  });

  app.post("/admin/throttles/clear", async (req, reply) => {
    const viewer = staffOf(req);
    if (!isAdmin(viewer)) throw new NotFoundError();
    try {
      const account = await admin.clearLoginThrottle(actor(viewer), formBody(req));
      return redirectWith(reply, "/admin/throttles", "success", `Login throttles of ${account} cleared.`);
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof ValidationError)
        return redirectWith(reply, "/admin/throttles", "warning", "There was nothing to clear.");
      throw error;
    }
  });
}
