/** The home page. */
import type { FastifyInstance } from "fastify";
import { PostCards } from "../blog/blog.pages.js";
import type { Services } from "../container.js";
import { formatNumber, type Translate } from "../i18n/index.js";
import { periodicityText, recipientsText, timeIn } from "../mailings/mailing-words.js";
import { StatusBadge } from "../mailings/mailings.pages.js";
import { isStaff } from "../shared/roles.js";
import { calendarLabel } from "../shared/time.js";
import { CHART_COLORS, Chart } from "../web/chart.js";
import { EmptyState, PageHeader } from "../web/components.js";
import { requireUser, sendPage, viewContext } from "../web/context.js";
import { useI18n } from "../web/i18n.js";
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
  const { locale } = useI18n();
  return (
    <div class="col-sm-4">
      <div class="card stat-card h-100">
        <div class="card-body d-flex align-items-center gap-3">
          <i class={`bi ${icon} fs-1 text-primary`} aria-hidden="true" />
          <div>
            <div class="display-6 fw-semibold" data-testid={testId}>
              {formatNumber(locale, value)}
            </div>
            <div class="text-body-secondary">{label}</div>
          </div>
        </div>
      </div>
    </div>
  );
}

/** The last 30 days of sending, with the days as a table beneath. */
function SendingChart({ days, t }: { days: { day: string; sent: number; failed: number }[]; t: Translate }) {
  const { locale } = useI18n();
  const w = (key: string) => t(`mailings.dashboard.${key}`);
  return (
    <Chart
      title={w("chart")}
      data={{
        kind: "lines",
        xLabel: w("day"),
        x: days.map((d) => calendarLabel(d.day, locale)),
        series: [
          { label: w("sent"), color: CHART_COLORS.sent, values: days.map((d) => d.sent) },
          { label: w("failed"), color: CHART_COLORS.failed, values: days.map((d) => d.failed) },
        ],
      }}
    >
      <table class="table table-sm small mb-0">
        <thead>
          <tr>
            <th scope="col">{w("day")}</th>
            <th scope="col" class="text-end">
              {w("sent")}
            </th>
            <th scope="col" class="text-end">
              {w("failed")}
            </th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr>
              <td>{d.day}</td>
              <td class="text-end">{formatNumber(locale, d.sent)}</td>
              <td class="text-end">{formatNumber(locale, d.failed)}</td>
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
    const figures = await services.dashboard.figures(user, scope);
    // Under "All users" (staff only: figures.scope is "mine" for everyone else) the latest are everyone's.
    const [latest, posts, days, everyone] = await Promise.all([
      services.mailings.latest(user, 5),
      services.blog.random(3),
      services.delivery.daily(user, { ownerId: figures.scope === "all" ? null : user.id }),
      figures.scope === "all" ? services.mailings.latest(user, 5, "all") : [],
    ]);
    const ctx = viewContext(req, reply);
    const { t, locale } = ctx;
    const w = (key: string) => t(`mailings.dashboard.${key}`);
    const body = (
      <>
        <PageHeader title={t("nav.dashboard")}>
          <a class="btn btn-primary" href="/mailings/new">
            <i class="bi bi-plus-lg" aria-hidden="true" /> {t("mailings.list.new")}
          </a>
        </PageHeader>
        {isStaff(user) && (
          <div class="d-flex flex-wrap align-items-center gap-2 mb-3">
            <div class="btn-group btn-group-sm" role="group" aria-label={w("whose")}>
              <a
                class={`btn ${figures.scope === "mine" ? "btn-secondary" : "btn-outline-secondary"}`}
                href="/?scope=mine"
                aria-current={figures.scope === "mine" ? "true" : undefined}
              >
                {w("mine")}
              </a>
              <a
                class={`btn ${figures.scope === "all" ? "btn-secondary" : "btn-outline-secondary"}`}
                href="/"
                aria-current={figures.scope === "all" ? "true" : undefined}
              >
                {w("all")}
              </a>
            </div>
            {figures.scope === "all" && <span class="text-body-secondary">{w("acrossAll")}</span>}
          </div>
        )}
        <section class="row g-3 mb-4" aria-label={w("figures")}>
          <Stat label={w("mailings")} value={figures.mailings} icon="bi-send" testId="stat-mailings" />
          <Stat
            label={w("active")}
            value={figures.activeMailings}
            icon="bi-arrow-repeat"
            testId="stat-active"
          />
          <Stat
            label={w("unique")}
            value={figures.uniqueRecipients}
            icon="bi-people"
            testId="stat-recipients"
          />
        </section>
        {days.some((d) => d.sent + d.failed > 0) && <SendingChart days={days} t={t} />}
        <h2 class="h5">{w("latest")}</h2>
        {latest.length === 0 ? (
          <EmptyState icon="bi-send" title={t("mailings.list.emptyTitle")}>
            {w("emptyAdd")}
            <a href="/recipients/new">{w("emptyRecipients")}</a>
            {w("emptyWrite")}
            <a href="/messages/new">{w("emptyMessage")}</a>
            {w("emptyThen")} <a href="/mailings/new">{w("emptyCreate")}</a>.
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
                    {periodicityText(t, m.periodicity)} · {w("firstSend")}{" "}
                    {timeIn(locale, m.first_send_at, m.time_zone)} · {recipientsText(t, locale, m)}
                  </span>
                </span>
                <StatusBadge mailing={m} />
              </a>
            ))}
          </div>
        )}
        {figures.scope === "all" && everyone.length > 0 && (
          <section class="mt-4" aria-labelledby="latest-of-all">
            <h2 class="h5" id="latest-of-all">
              {w("latestAll")}
            </h2>
            <div class="list-group">
              {everyone.map((m) => (
                <a
                  class="list-group-item list-group-item-action d-flex justify-content-between align-items-center gap-2 flex-wrap"
                  href={`/mailings/${m.id}`}
                >
                  <span>
                    <span class="fw-semibold">{m.name}</span>
                    <span class="text-body-secondary small d-block">
                      {m.owner_email} · {periodicityText(t, m.periodicity)} · {w("firstSend")}{" "}
                      {timeIn(locale, m.first_send_at, m.time_zone)} · {recipientsText(t, locale, m)}
                    </span>
                  </span>
                  <StatusBadge mailing={m} />
                </a>
              ))}
            </div>
          </section>
        )}
        {posts.length > 0 && (
          <section class="mt-4" aria-labelledby="from-the-blog">
            <h2 class="h5" id="from-the-blog">
              {w("fromThe")}
              <a href="/blog">{w("blog")}</a>
            </h2>
            <PostCards posts={posts} />
          </section>
        )}
      </>
    );
    return sendPage(reply, renderPage(ctx, t("nav.dashboard"), body));
  });
}
