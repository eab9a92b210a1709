/**
 * The reports page: runs, successful and failed runs and deliveries, messages sent, suppressed, bounced and
 * unsubscribed, per month (from the runs' counters); under "All users" also per owner.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { formatNumber, type Translate } from "../i18n/index.js";
import { id } from "../shared/fields.js";
import { isStaff } from "../shared/roles.js";
import { calendarLabel } from "../shared/time.js";
import { CHART_COLORS, Chart, type ChartData } from "../web/chart.js";
import { EmptyState, PageHeader } from "../web/components.js";
import { requireUser, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";
import type { MonthReport, OwnerReport } from "./delivery.service.js";

/** Sent, failed, suppressed, bounced and unsubscribed per month, oldest first, for the chart. */
function monthsChart(months: MonthReport[], t: Translate, locale: string): ChartData {
  const ordered = [...months].sort((a, b) => a.month.localeCompare(b.month));
  const series = (label: string, key: keyof typeof CHART_COLORS & keyof MonthReport) => ({
    label,
    color: CHART_COLORS[key],
    values: ordered.map((m) => Number(m[key])),
  });
  const r = (key: string) => t(`mailings.reports.${key}`);
  return {
    kind: "lines",
    xLabel: r("month"),
    x: ordered.map((m) => calendarLabel(m.month, locale)),
    series: [
      series(r("sent"), "sent"),
      // The deliveries that failed, named as in the table ("Failed" alone there is the failed runs).
      series(r("failedDeliveries"), "failed"),
      series(r("suppressed"), "suppressed"),
      series(r("bounced"), "bounced"),
      series(r("unsubscribed"), "unsubscribed"),
    ],
  };
}

/** Whose figures the page shows, as the intro names them. */
type Whose = { kind: "mine" } | { kind: "all" } | { kind: "user"; email: string };

function whoseText(t: Translate, whose: Whose): string {
  if (whose.kind === "all") return t("mailings.reports.allUsers");
  if (whose.kind === "user") return t("mailings.reports.ofUser", { email: whose.email });
  return t("mailings.reports.yours");
}

/** Under "All users": each owner's sums, the owner a link that narrows the page to them. */
function OwnersTable({ ctx, owners }: { ctx: ViewContext; owners: OwnerReport[] }) {
  const { t, locale } = ctx;
  const r = (key: string) => t(`mailings.reports.${key}`);
  const n = (value: number) => formatNumber(locale, value);
  return (
    <section class="mt-4" aria-labelledby="reports-by-owner">
      <h2 class="h5" id="reports-by-owner">
        {r("byOwner")}
      </h2>
      <div class="table-responsive bg-body rounded-3 border">
        <table class="table mb-0 table-cards">
          <thead>
            <tr>
              <th scope="col">{r("owner")}</th>
              <th scope="col" class="text-end">
                {r("runs")}
              </th>
              <th scope="col" class="text-end">
                {r("sent")}
              </th>
              <th scope="col" class="text-end">
                {r("failedDeliveries")}
              </th>
              <th scope="col" class="text-end">
                {r("suppressed")}
              </th>
              <th scope="col" class="text-end">
                {r("bounced")}
              </th>
              <th scope="col" class="text-end">
                {r("unsubscribed")}
              </th>
            </tr>
          </thead>
          <tbody>
            {owners.map((o) => (
              <tr>
                <td class="text-break" data-label={r("owner")}>
                  <a href={`/reports?user=${o.ownerId}`} class="link-secondary">
                    {o.ownerEmail}
                  </a>
                </td>
                <td class="text-end" data-label={r("runs")}>
                  {n(o.runs)}
                </td>
                <td class="text-end" data-label={r("sent")}>
                  {n(o.sent)}
                </td>
                <td class="text-end" data-label={r("failedDeliveries")}>
                  {n(o.failed)}
                </td>
                <td class="text-end" data-label={r("suppressed")}>
                  {n(o.suppressed)}
                </td>
                <td class="text-end" data-label={r("bounced")}>
                  {n(o.bounced)}
                </td>
                <td class="text-end" data-label={r("unsubscribed")}>
                  {n(o.unsubscribed)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function reportsPage(
  ctx: ViewContext,
  months: Awaited<ReturnType<Services["delivery"]["report"]>>,
  whose: Whose,
  owners: OwnerReport[],
) {
  const { t, locale } = ctx;
  const r = (key: string, options?: Record<string, unknown>) => t(`mailings.reports.${key}`, options);
  const n = (value: number) => formatNumber(locale, value);
  const total = months.reduce(
    (acc, m) => ({
      runs: acc.runs + m.runs,
      success: acc.success + m.successRuns,
      failure: acc.failure + m.failureRuns,
      sent: acc.sent + m.sent,
      failed: acc.failed + m.failed,
      suppressed: acc.suppressed + m.suppressed,
      bounced: acc.bounced + m.bounced,
      unsubscribed: acc.unsubscribed + m.unsubscribed,
      cancelled: acc.cancelled + m.cancelled,
    }),
    {
      runs: 0,
      success: 0,
      failure: 0,
      sent: 0,
      failed: 0,
      suppressed: 0,
      bounced: 0,
      unsubscribed: 0,
      cancelled: 0,
    },
  );
  const columns: [string, (m: MonthReport) => number, string?][] = [
    [r("runs"), (m) => m.runs],
    [r("successful"), (m) => m.successRuns],
    [r("failed"), (m) => m.failureRuns],
    [r("sent"), (m) => m.sent],
    [r("failedDeliveries"), (m) => m.failed],
    [r("suppressed"), (m) => m.suppressed],
    [r("bounced"), (m) => m.bounced, "bounced"],
    [r("unsubscribed"), (m) => m.unsubscribed, "unsubscribed"],
    [r("cancelled"), (m) => m.cancelled],
  ];
  return renderPage(
    ctx,
    r("title"),
    <>
      <PageHeader title={r("title")} />
      <p class="text-body-secondary">
        {r("intro", { whose: whoseText(t, whose) })}
        {isStaff(ctx.user) && (
          <>
            {" "}
            <a href="/reports">{r("mine")}</a> · <a href="/reports?user=all">{r("all")}</a> · {r("pickUser")}{" "}
            <a href="/admin/users">{t("nav.users")}</a>.
          </>
        )}
      </p>
      <section class="row g-3 mb-4" aria-label={r("totals")}>
        {(
          [
            [r("runs"), total.runs, "bi-collection"],
            [r("successRuns"), total.success, "bi-check2-circle"],
            [r("failureRuns"), total.failure, "bi-x-circle"],
            [r("messagesSent"), total.sent, "bi-envelope-check"],
            [r("deliveriesFailed"), total.failed, "bi-envelope-x"],
            [r("suppressed"), total.suppressed, "bi-slash-circle"],
            [r("bounced"), total.bounced, "bi-arrow-return-left"],
            [r("unsubscribed"), total.unsubscribed, "bi-person-dash"],
            [r("cancelled"), total.cancelled, "bi-x-octagon"],
          ] as const
        ).map(([label, value, icon]) => (
          <div class="col-6 col-md-3">
            <div class="card stat-card h-100">
              <div class="card-body">
                <i class={`bi ${icon} fs-4 text-primary`} aria-hidden="true" />
                <div class="fs-3 fw-semibold">{n(value)}</div>
                <div class="text-body-secondary small">{label}</div>
              </div>
            </div>
          </div>
        ))}
      </section>
      {months.length === 0 ? (
        <EmptyState icon="bi-bar-chart" title={r("emptyTitle")}>
          {r("emptyText")} <a href="/mailings">{r("emptyLink")}</a>.
        </EmptyState>
      ) : (
        <Chart title={r("chart")} data={monthsChart(months, t, locale)}>
          <div class="table-responsive bg-body rounded-3 border">
            {/* On a phone each month is a card of labelled figures (.table-cards in public/app.css). */}
            <table class="table mb-0 table-cards">
              <thead>
                <tr>
                  <th scope="col">{r("month")}</th>
                  {columns.map(([label]) => (
                    <th scope="col" class="text-end">
                      {label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {months.map((m) => (
                  <tr>
                    <td class="text-nowrap fw-semibold">{calendarLabel(m.month, locale)}</td>
                    {columns.map(([label, of, col]) => (
                      <td class="text-end" data-col={col} data-label={label}>
                        {n(of(m))}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Chart>
      )}
      {whose.kind === "all" && owners.length > 0 && <OwnersTable ctx={ctx} owners={owners} />}
    </>,
  );
}

export function reportRoutes(app: FastifyInstance, services: Services): void {
  const { delivery } = services;

  // Everyone sees their own reports; managers and admins may pick any user (?user=<id>) or all (?user=all).
  app.get("/reports", async (req, reply) => {
    const user = requireUser(req);
    const wanted = (req.query as { user?: string }).user;
    let scope: { ownerId: number | null; whose: Whose } = { ownerId: user.id, whose: { kind: "mine" } };
    if (isStaff(user) && wanted === "all") scope = { ownerId: null, whose: { kind: "all" } };
    else if (isStaff(user) && wanted && wanted !== String(user.id)) {
      const other = await services.admin.getUser({ ...user }, id.catch(0).parse(wanted));
      scope = { ownerId: other.id, whose: { kind: "user", email: other.email } };
    }
    const [months, owners] = await Promise.all([
      delivery.report(user, { ownerId: scope.ownerId }),
      scope.whose.kind === "all" ? delivery.reportByOwner(user) : [],
    ]);
    return sendPage(reply, reportsPage(viewContext(req, reply), months, scope.whose, owners));
  });
}
