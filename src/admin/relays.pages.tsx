/**
 * Mail relays (admins): where mail goes, whether sending is up or paused and why (the workers' last
 * heartbeats), and a "Test connection" button that connects, says EHLO and logs in as a send would.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import type { RelayView, SendingStatus } from "../delivery/delivery.service.js";
import type { RelayCheck } from "../delivery/smtp.mailer.js";
import { formatNumber, translateMessage } from "../i18n/index.js";
import { ConflictError } from "../shared/errors.js";
import { formatInZone } from "../shared/time.js";
import { CsrfField, PageHeader } from "../web/components.js";
import { sendPage, type ViewContext, viewContext } from "../web/context.js";
import { formBody } from "../web/forms.js";
import { useI18n } from "../web/i18n.js";
import { renderPage } from "../web/layout.js";
import { staffOf } from "./admin.pages.js";

/** One relay's state: its own report (several relays), or sending's state (one relay). */
function RelayState({
  state,
  viewer,
  fallback,
}: {
  state: SendingStatus["relays"][string] | undefined;
  viewer: User;
  fallback: SendingStatus;
}) {
  const { t, locale } = useI18n();
  if (state) {
    return state.up ? (
      <span class="badge text-bg-success">{t("admin.relays.up")}</span>
    ) : (
      <>
        <span class="badge text-bg-warning">{t("admin.relays.down")}</span>
        {state.downUntil && (
          <div class="small text-body-secondary">
            {t("admin.relays.triedFrom", {
              when: formatInZone(state.downUntil, viewer.time_zone, { seconds: true, locale }),
            })}
          </div>
        )}
      </>
    );
  }
  return <SendingBadge status={fallback} />;
}

/** Sending's state from the workers' heartbeats: no worker, paused, or up. */
function SendingBadge({ status }: { status: SendingStatus }) {
  const { t } = useI18n();
  if (status.workers === 0) return <span class="badge text-bg-secondary">{t("admin.relays.noWorker")}</span>;
  return status.paused ? (
    <span class="badge text-bg-warning">{t("admin.relays.paused")}</span>
  ) : (
    <span class="badge text-bg-success">{t("admin.relays.up")}</span>
  );
}

function relaysPage(ctx: ViewContext, viewer: User, view: RelayView, check: RelayCheck | string | null) {
  const { status } = view;
  const { t, locale } = ctx;
  return renderPage(
    ctx,
    t("admin.relays.title"),
    <>
      <PageHeader title={t("admin.relays.title")} />
      {view.relays.length === 0 ? (
        <p>
          {t("admin.relays.noneBefore")}
          <code>SMTP_URL</code>
          {t("admin.relays.noneOr")}
          <code>SMTP_RELAYS</code>
          {t("admin.relays.noneMiddle")}
          <a href="/admin/outbox">{t("admin.relays.localOutbox")}</a>
          {t("admin.relays.noneAfter")}
        </p>
      ) : (
        <>
          <p class="mb-2">
            {t("admin.relays.sending")} <SendingBadge status={status} />
            {status.paused && (
              <>
                {" "}
                {status.reason && translateMessage(locale, status.reason)}
                {status.resumesAt &&
                  ` · ${t("admin.relays.triesAt", { when: formatInZone(status.resumesAt, viewer.time_zone, { seconds: true, locale }) })}`}
              </>
            )}{" "}
            <span class="text-body-secondary small">
              ({t("admin.relays.workers", { count: status.workers, n: formatNumber(locale, status.workers) })}
              )
            </span>
          </p>
          <div class="table-responsive bg-body rounded-3 border mb-3">
            <table class="table mb-0 align-middle table-stack">
              <thead>
                <tr>
                  <th scope="col">{t("admin.relays.relay")}</th>
                  <th scope="col">{t("admin.relays.weight")}</th>
                  <th scope="col">{t("admin.relays.state")}</th>
                  <th scope="col">{t("admin.relays.lastError")}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t("common.actions")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {view.relays.map((relay, index) => (
                  <tr>
                    <td data-label={t("admin.relays.relay")} class="text-break">
                      <code>{relay.address}</code>
                    </td>
                    <td data-label={t("admin.relays.weight")}>
                      {relay.weight}
                      {relay.limits && <div class="small text-body-secondary">{relay.limits}</div>}
                    </td>
                    <td data-label={t("admin.relays.state")}>
                      <RelayState state={status.relays[relay.address]} viewer={viewer} fallback={status} />
                    </td>
                    <td data-label={t("admin.relays.lastError")} class="text-break">
                      {status.relays[relay.address]?.lastError ??
                        (view.relays.length === 1 ? (status.reason ?? "—") : "—")}
                    </td>
                    <td class="text-end">
                      <form method="post" action="/admin/relays/test" class="d-inline">
                        <CsrfField token={ctx.csrfToken} />
                        <input type="hidden" name="relay" value={String(index)} />
                        <button type="submit" class="btn btn-sm btn-outline-primary">
                          {t("admin.relays.test")}
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {typeof check === "string" && (
        <div class="alert alert-warning" role="status">
          {translateMessage(locale, check)}
        </div>
      )}
      {check && typeof check !== "string" && (
        <div class={`alert ${check.ok ? "alert-success" : "alert-danger"}`} role="status" data-relay-check>
          <p class="mb-1 fw-semibold">
            {check.ok
              ? t(`admin.relays.accepted${check.authenticated ? "Login" : ""}${check.tls ? "Tls" : ""}`, {
                  relay: check.relay,
                })
              : t("admin.relays.failedAt", {
                  relay: check.relay,
                  stage: t(`admin.relays.stage.${check.stage}`),
                })}
          </p>
          <p class="mb-0 text-break">
            {t("admin.relays.reply")} <code>{check.reply}</code>
          </p>
          <p class="mb-0 small text-body-secondary">{t("admin.relays.noMail")}</p>
        </div>
      )}
      <p class="text-body-secondary small">
        {t("admin.relays.explainBefore")}
        <code>SMTP_URL</code>
        {t("admin.relays.explainAfter")}
      </p>
    </>,
  );
}

export function relayRoutes(app: FastifyInstance, { delivery }: Services): void {
  app.get("/admin/relays", async (req, reply) => {
    const viewer = staffOf(req);
    const view = await delivery.relay(viewer);
    return sendPage(reply, relaysPage(viewContext(req, reply), viewer, view, null));
  });

  app.post("/admin/relays/test", async (req, reply) => {
    const viewer = staffOf(req);
    const view = await delivery.relay(viewer);
    let check: RelayCheck | string;
    try {
      const index = Number((formBody(req) as { relay?: string }).relay ?? 0);
      check = await delivery.checkRelay(viewer, Number.isInteger(index) && index >= 0 ? index : 0);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      check = error.message;
    }
    return sendPage(reply, relaysPage(viewContext(req, reply), viewer, view, check));
  });
}
