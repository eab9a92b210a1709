/** The home page. */
import type { FastifyInstance } from "fastify";
import { PostCards } from "../blog/blog.pages.js";
import type { Services } from "../container.js";
import { StatusBadge } from "../mailings/mailings.pages.js";
import { PERIODICITY_LABELS } from "../mailings/mailings.schemas.js";
import { countOf, formatCount, formatRecipients } from "../shared/plural.js";
import { isStaff } from "../shared/roles.js";
import { formatInZone } from "../shared/time.js";
import { CHART_COLORS, Chart } from "../web/chart.js";
import { EmptyState, PageHeader } from "../web/components.js";
import { requireUser, sendPage, viewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";

function Stat({
  label,
  value,
  icon,
  testId,
}: {
  label: string;
  value: number;
  icon: string;
  testId: string;
}) {
  return (
    <div class="col-sm-4">
      <div class="card stat-card h-100">
        <div class="card-body d-flex align-items-center gap-3">
          <i class={`bi ${icon} fs-1 text-primary`} aria-hidden="true" />
          <div>
            <div class="display-6 fw-semibold" data-testid={testId}>
              {formatCount(value)}
            </div>
            <div class="text-body-secondary">{label}</div>
          </div>
        </div>
      </div>
    </div>
  );
}

/** The last 30 days of sending, with the days as a table beneath. */
function SendingChart({ days }: { days: { day: string; sent: number; failed: number }[] }) {
  return (
    <Chart
      title="Sending over the last 30 days (UTC)"
      data={{
        kind: "lines",
        xLabel: "Day",
        x: days.map((d) => d.day.slice(5)),
        series: [
          { label: "Sent", color: CHART_COLORS.sent, values: days.map((d) => d.sent) },
          { label: "Failed", color: CHART_COLORS.failed, values: days.map((d) => d.failed) },
        ],
      }}
    >
      <table class="table table-sm small mb-0">
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col" class="text-end">
              Sent
            </th>
            <th scope="col" class="text-end">
              Failed
            </th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr>
              <td>{d.day}</td>
              <td class="text-end">{d.sent}</td>
              <td class="text-end">{d.failed}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Chart>
  );
}

export function dashboardRoutes(app: FastifyInstance, services: Services): void {
  app.get("/", async (req, reply) => {
    const user = requireUser(req);
    const scope = (req.query as { scope?: unknown }).scope === "mine" ? "mine" : "all";
    const [figures, latest, posts] = await Promise.all([
      services.dashboard.figures(user, scope),
      services.mailings.latest(user, 5),
      services.blog.random(3),
    ]);
    const days = await services.delivery.daily(user, { ownerId: figures.scope === "all" ? null : user.id });
    const ctx = viewContext(req, reply);
    const body = (
      <>
        <PageHeader title="Dashboard">
          <a class="btn btn-primary" href="/mailings/new">
            <i class="bi bi-plus-lg" aria-hidden="true" /> New mailing
          </a>
        </PageHeader>
        {isStaff(user) && (
          <div class="d-flex flex-wrap align-items-center gap-2 mb-3">
            <div class="btn-group btn-group-sm" role="group" aria-label="Whose figures">
              <a
                class={`btn ${figures.scope === "mine" ? "btn-secondary" : "btn-outline-secondary"}`}
                href="/?scope=mine"
                aria-current={figures.scope === "mine" ? "true" : undefined}
              >
                Mine
              </a>
              <a
                class={`btn ${figures.scope === "all" ? "btn-secondary" : "btn-outline-secondary"}`}
                href="/"
                aria-current={figures.scope === "all" ? "true" : undefined}
              >
                All users
              </a>
            </div>
            {figures.scope === "all" && <span class="text-body-secondary">Figures across all users.</span>}
          </div>
        )}
        <section class="row g-3 mb-4" aria-label="Figures">
          <Stat label="Mailings" value={figures.mailings} icon="bi-send" testId="stat-mailings" />
          <Stat
            label="Active mailings"
            value={figures.activeMailings}
            icon="bi-arrow-repeat"
            testId="stat-active"
          />
          <Stat
            label="Unique recipients"
            value={figures.uniqueRecipients}
            icon="bi-people"
            testId="stat-recipients"
          />
        </section>
        {days.some((d) => d.sent + d.failed > 0) && <SendingChart days={days} />}
        <h2 class="h5">Your latest mailings</h2>
        {latest.length === 0 ? (
          <EmptyState icon="bi-send" title="No mailings yet">
            Add <a href="/recipients/new">recipients</a>, write a <a href="/messages/new">message</a>, then{" "}
            <a href="/mailings/new">create a mailing</a>.
          </EmptyState>
        ) : (
          <div class="list-group">
            {latest.map((m) => (
              <a
                class="list-group-item list-group-item-action d-flex justify-content-between align-items-center gap-2 flex-wrap"
                href={`/mailings/${m.id}`}
              >
                <span>
                  <span class="fw-semibold">{m.name}</span>
                  <span class="text-body-secondary small d-block">
                    {PERIODICITY_LABELS[m.periodicity]} · first send{" "}
                    {formatInZone(m.first_send_at, m.time_zone)} · {formatRecipients(m)}
                  </span>
                </span>
                <StatusBadge mailing={m} />
              </a>
            ))}
          </div>
        )}
        {posts.length > 0 && (
          <section class="mt-4" aria-labelledby="from-the-blog">
            <h2 class="h5" id="from-the-blog">
              From the <a href="/blog">blog</a>
            </h2>
            <PostCards posts={posts} />
          </section>
        )}
      </>
    );
    return sendPage(reply, renderPage(ctx, "Dashboard", body));
  });
}
