/**
 * The reports page: runs, successful and failed runs and deliveries, messages sent, suppressed, bounced and
 * unsubscribed, per month (from the runs' counters).
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { id } from "../shared/fields.js";
import { isStaff } from "../shared/roles.js";
import { CHART_COLORS, Chart, type ChartData } from "../web/chart.js";
import { EmptyState, PageHeader } from "../web/components.js";
import { requireUser, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";
import type { MonthReport } from "./delivery.service.js";

/** Sent, failed, suppressed, bounced and unsubscribed per month, oldest first, for the chart. */
function monthsChart(months: MonthReport[]): ChartData {
  const ordered = [...months].sort((a, b) => a.month.localeCompare(b.month));
  const series = (label: string, key: keyof typeof CHART_COLORS & keyof MonthReport) => ({
    label,
    color: CHART_COLORS[key],
    values: ordered.map((m) => Number(m[key])),
  });
  return {
    kind: "lines",
    xLabel: "Month",
    x: ordered.map((m) => m.month),
    series: [
      series("Sent", "sent"),
      series("Failed", "failed"),
      series("Suppressed", "suppressed"),
      series("Bounced", "bounced"),
      series("Unsubscribed", "unsubscribed"),
    ],
  };
}

function reportsPage(
  ctx: ViewContext,
  months: Awaited<ReturnType<Services["delivery"]["report"]>>,
  whose: string,
) {
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
  return renderPage(
    ctx,
    "Reports",
    <>
      <PageHeader title="Reports" />
      <p class="text-body-secondary">
        Runs and messages of {whose} over the last 12 months (months in UTC).
        {isStaff(ctx.user) && (
          <>
            {" "}
            <a href="/reports">Mine</a> · <a href="/reports?user=all">All users</a> · pick a user on{" "}
            <a href="/admin/users">Users</a>.
          </>
        )}
      </p>
      <section class="row g-3 mb-4" aria-label="Totals">
        {[
          ["Runs", total.runs, "bi-collection"],
          ["Successful runs", total.success, "bi-check2-circle"],
          ["Failed runs", total.failure, "bi-x-circle"],
          ["Messages sent", total.sent, "bi-envelope-check"],
          ["Deliveries failed", total.failed, "bi-envelope-x"],
          ["Suppressed", total.suppressed, "bi-slash-circle"],
          ["Bounced", total.bounced, "bi-arrow-return-left"],
          ["Unsubscribed", total.unsubscribed, "bi-person-dash"],
          ["Cancelled", total.cancelled, "bi-x-octagon"],
        ].map(([label, value, icon]) => (
          <div class="col-6 col-md-3">
            <div class="card stat-card h-100">
              <div class="card-body">
                <i class={`bi ${icon} text-primary`} aria-hidden="true" />
                <div class="fs-3 fw-semibold">{Number(value).toLocaleString("en-US")}</div>
                <div class="text-body-secondary small">{label}</div>
              </div>
            </div>
          </div>
        ))}
      </section>
      {months.length === 0 ? (
        <EmptyState icon="bi-bar-chart" title="Nothing sent yet">
          Reports fill in as your mailings are sent. <a href="/mailings">Go to your mailings</a>.
        </EmptyState>
      ) : (
        <Chart title="Messages per month (UTC)" data={monthsChart(months)}>
          <div class="table-responsive bg-body rounded-3 border">
            <table class="table mb-0">
              <thead>
                <tr>
                  <th scope="col">Month</th>
                  <th scope="col" class="text-end">
                    Runs
                  </th>
                  <th scope="col" class="text-end">
                    Successful
                  </th>
                  <th scope="col" class="text-end">
                    Failed
                  </th>
                  <th scope="col" class="text-end">
                    Sent
                  </th>
                  <th scope="col" class="text-end">
                    Failed deliveries
                  </th>
                  <th scope="col" class="text-end">
                    Suppressed
                  </th>
                  <th scope="col" class="text-end">
                    Bounced
                  </th>
                  <th scope="col" class="text-end">
                    Unsubscribed
                  </th>
                  <th scope="col" class="text-end">
                    Cancelled
                  </th>
                </tr>
              </thead>
              <tbody>
                {months.map((m) => (
                  <tr>
                    <td class="text-nowrap">{m.month}</td>
                    <td class="text-end">{m.runs}</td>
                    <td class="text-end">{m.successRuns}</td>
                    <td class="text-end">{m.failureRuns}</td>
                    <td class="text-end">{m.sent.toLocaleString("en-US")}</td>
                    <td class="text-end">{m.failed.toLocaleString("en-US")}</td>
                    <td class="text-end">{m.suppressed.toLocaleString("en-US")}</td>
                    <td class="text-end" data-col="bounced">
                      {m.bounced.toLocaleString("en-US")}
                    </td>
                    <td class="text-end" data-col="unsubscribed">
                      {m.unsubscribed.toLocaleString("en-US")}
                    </td>
                    <td class="text-end">{m.cancelled.toLocaleString("en-US")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Chart>
      )}
    </>,
  );
}

export function reportRoutes(app: FastifyInstance, services: Services): void {
  const { delivery } = services;

  // Everyone sees their own reports; managers and admins may pick any user (?user=<id>) or all (?user=all).
  app.get("/reports", async (req, reply) => {
    const user = requireUser(req);
    const wanted = (req.query as { user?: string }).user;
    let scope: { ownerId: number | null; label: string } = { ownerId: user.id, label: "your mailings" };
    if (isStaff(user) && wanted === "all") scope = { ownerId: null, label: "all users' mailings" };
    else if (isStaff(user) && wanted && wanted !== String(user.id)) {
      const other = await services.admin.getUser({ ...user }, id.catch(0).parse(wanted));
      scope = { ownerId: other.id, label: `${other.email}'s mailings` };
    }
    const months = await delivery.report(user, { ownerId: scope.ownerId });
    return sendPage(reply, reportsPage(viewContext(req, reply), months, scope.label));
  });
}
