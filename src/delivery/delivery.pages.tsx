/**
 * Sending pages: "send now" with confirmation, a run with every delivery and the server's replies,
 * "retry failed", live progress (JSON polled by app.js), the reports page and the admin's local outbox.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { Delivery, DeliveryStatus, RunStatus, RunTrigger } from "../db/schema.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../shared/errors.js";
import { id } from "../shared/fields.js";
import type { Page } from "../shared/pagination.js";
import { isAdmin, isStaff } from "../shared/roles.js";
import { formatInZone } from "../shared/time.js";
import { CsrfField, DefinitionList, EmptyState, PageHeader, Pager, withQuery } from "../web/components.js";
import { redirectWith, requireUser, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";
import type { OutboxListItem, Progress, RunDetails, RunView } from "./delivery.service.js";

const RUN_BADGES: Record<RunStatus, { label: string; cls: string }> = {
  sending: { label: "Sending", cls: "text-bg-info" },
  success: { label: "Success", cls: "text-bg-success" },
  failure: { label: "Failure", cls: "text-bg-danger" },
};

const DELIVERY_BADGES: Record<DeliveryStatus, string> = {
  pending: "text-bg-light border",
  sending: "text-bg-info",
  sent: "text-bg-success",
  failed: "text-bg-danger",
};

const TRIGGERS: Record<RunTrigger, string> = {
  schedule: "Schedule",
  web: "Sent from the web",
  cli: "Command line",
  api: "API",
};

export function RunBadge({ status }: { status: RunStatus }) {
  const badge = RUN_BADGES[status];
  return <span class={`badge ${badge.cls}`}>{badge.label}</span>;
}

/** A progress bar that app.js keeps up to date while the run is sending. */
export function RunProgress({ runId, progress }: { runId: number; progress: Progress }) {
  const pct = (n: number) => (progress.total === 0 ? 0 : Math.round((n / progress.total) * 100));
  const done = progress.sent + progress.failed;
  return (
    <div data-progress-url={progress.done ? undefined : `/runs/${runId}/progress`}>
      <div
        class="progress"
        role="progressbar"
        aria-label="Run progress"
        aria-valuenow={pct(done)}
        aria-valuemin={0}
        aria-valuemax={100}
      >
        <div
          class="progress-bar bg-success"
          data-bar="sent"
          data-width={String(Math.round(pct(progress.sent)))}
        />
        <div
          class="progress-bar bg-danger"
          data-bar="failed"
          data-width={String(Math.round(pct(progress.failed)))}
        />
      </div>
      <div class="small text-body-secondary mt-1">
        <span data-count="sent">{progress.sent}</span> sent ·{" "}
        <span data-count="failed">{progress.failed}</span> failed ·{" "}
        <span data-count="pending">{progress.pending + progress.sending}</span> pending of {progress.total}
      </div>
    </div>
  );
}

/** The runs table on a mailing's page. */
export function RunsTable({ runs, zone }: { runs: Page<RunView>; zone: string }) {
  if (runs.total === 0) {
    return <p class="text-body-secondary">No runs yet. Each send of this mailing will be listed here.</p>;
  }
  return (
    <div class="table-responsive bg-body rounded-3 border mb-3">
      <table class="table table-hover mb-0">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Trigger</th>
            <th scope="col">Status</th>
            <th scope="col" class="w-50">
              Progress
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.items.map((run) => (
            <tr>
              <td class="text-nowrap">
                <a href={`/runs/${run.id}`}>{formatInZone(run.started_at, zone)}</a>
              </td>
              <td>{TRIGGERS[run.trigger]}</td>
              <td>
                <RunBadge status={run.status} />
              </td>
              <td>
                <RunProgress runId={run.id} progress={run.progress} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function sendConfirmPage(ctx: ViewContext, mailing: { id: number; name: string; recipient_count: number }) {
  return renderPage(
    ctx,
    `Send ${mailing.name} now`,
    <>
      <PageHeader title={`Send “${mailing.name}” now?`} />
      <div class="card border-primary">
        <div class="card-body">
          <p>
            Every one of its <strong>{mailing.recipient_count.toLocaleString("en-US")}</strong> recipients
            gets their own email now, in addition to the planned sends.
          </p>
          <form method="post" action={`/mailings/${mailing.id}/send`} class="d-flex gap-2">
            <CsrfField token={ctx.csrfToken} />
            <button type="submit" class="btn btn-primary">
              <i class="bi bi-send" aria-hidden="true" /> Send now
            </button>
            <a class="btn btn-outline-secondary" href={`/mailings/${mailing.id}`}>
              Cancel
            </a>
          </form>
        </div>
      </div>
    </>,
  );
}

const STATUS_FILTERS: { value: DeliveryStatus | ""; label: string }[] = [
  { value: "", label: "All" },
  { value: "pending", label: "Pending" },
  { value: "sending", label: "Sending" },
  { value: "sent", label: "Sent" },
  { value: "failed", label: "Failed" },
];

/** The reply's text without the code and enhanced status that are shown beside it. */
function replyText(d: Delivery): string {
  let text = d.last_text ?? "";
  if (d.last_code !== null && text.startsWith(String(d.last_code))) text = text.slice(3).trimStart();
  if (d.last_enhanced && text.startsWith(d.last_enhanced))
    text = text.slice(d.last_enhanced.length).trimStart();
  return text;
}

function reply(d: Delivery) {
  if (d.last_code === null && !d.last_text) return <span class="text-body-secondary">—</span>;
  return (
    <>
      {d.last_code !== null && <code class="me-1">{d.last_code}</code>}
      {d.last_enhanced && <code class="me-1">{d.last_enhanced}</code>}
      <span class="pre-wrap">{replyText(d)}</span>
    </>
  );
}

function runPage(
  ctx: ViewContext,
  run: RunDetails,
  deliveries: Page<Delivery>,
  filter: DeliveryStatus | "",
  zone: string,
) {
  const path = `/runs/${run.id}`;
  const summary = run.summary;
  return renderPage(
    ctx,
    `Run of ${run.mailing_name}`,
    <>
      <PageHeader title={`Run of ${run.mailing_name}`}>
        <a class="btn btn-outline-secondary" href={`/mailings/${run.mailing_id}`}>
          <i class="bi bi-arrow-left" aria-hidden="true" /> Back to the mailing
        </a>
        {run.status !== "sending" &&
          run.progress.failed > 0 &&
          (run.owner_id === ctx.user?.id || isAdmin(ctx.user)) && (
            <form method="post" action={`${path}/retry-failed`}>
              <CsrfField token={ctx.csrfToken} />
              <button type="submit" class="btn btn-warning">
                <i class="bi bi-arrow-clockwise" aria-hidden="true" /> Retry failed deliveries
              </button>
            </form>
          )}
      </PageHeader>
      <div class="row g-4 mb-4">
        <div class="col-lg-7">
          <div class="card h-100">
            <div class="card-body">
              <DefinitionList
                items={[
                  ["Status", <RunBadge status={run.status} />],
                  ["Trigger", TRIGGERS[run.trigger]],
                  ["Subject", run.subject],
                  ["Started", formatInZone(run.started_at, zone)],
                  ["Finished", run.finished_at ? formatInZone(run.finished_at, zone) : "Still sending"],
                  ["Progress", <RunProgress runId={run.id} progress={run.progress} />],
                ]}
              />
            </div>
          </div>
        </div>
        <div class="col-lg-5">
          <div class="card h-100">
            <div class="card-body">
              <h2 class="h6">Mail server response</h2>
              {!summary ? (
                <p class="text-body-secondary mb-0">Summarised when the run finishes.</p>
              ) : (
                <>
                  <p class="mb-2">
                    {Object.entries(summary.codes).map(([code, count]) => (
                      <span class="badge text-bg-light border me-1">
                        {code === "none" ? "no reply" : code}: {count}
                      </span>
                    ))}
                  </p>
                  {summary.failures.length > 0 && (
                    <ul class="small mb-0">
                      {summary.failures.map((f) => (
                        <li>
                          {f.count} × <span class="pre-wrap">{f.text}</span>
                        </li>
                      ))}
                    </ul>
                  )}
                </>
              )}
            </div>
          </div>
        </div>
      </div>
      <h2 class="h5">Deliveries</h2>
      <ul class="nav nav-pills mb-3">
        {STATUS_FILTERS.map((f) => (
          <li class="nav-item">
            <a
              class={`nav-link${filter === f.value ? " active" : ""}`}
              aria-current={filter === f.value ? "page" : undefined}
              href={withQuery(path, { status: f.value })}
            >
              {f.label}
            </a>
          </li>
        ))}
      </ul>
      {deliveries.total === 0 ? (
        <EmptyState icon="bi-envelope" title="No deliveries here" />
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table table-sm mb-0">
            <thead>
              <tr>
                <th scope="col">Recipient</th>
                <th scope="col">Status</th>
                <th scope="col">Tries</th>
                <th scope="col">Server reply</th>
                <th scope="col">Sent</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.items.map((d) => (
                <tr>
                  <td>
                    {d.recipient_id && run.owner_id === ctx.user?.id ? (
                      <a href={`/recipients/${d.recipient_id}`}>{d.email}</a>
                    ) : (
                      d.email
                    )}
                  </td>
                  <td>
                    <span class={`badge ${DELIVERY_BADGES[d.status]}`}>{d.status}</span>
                  </td>
                  <td>{d.tries}</td>
                  <td class="small">{reply(d)}</td>
                  <td class="text-nowrap small">{d.sent_at ? formatInZone(d.sent_at, zone) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={deliveries} path={path} params={{ status: filter }} />
    </>,
  );
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
    }),
    { runs: 0, success: 0, failure: 0, sent: 0, failed: 0 },
  );
  const max = Math.max(1, ...months.map((m) => m.sent + m.failed));
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
        ].map(([label, value, icon]) => (
          <div class="col-6 col-lg">
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
                <th scope="col" class="w-25">
                  <span class="visually-hidden">Chart</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {months.map((m) => (
                <tr>
                  <td>{m.month}</td>
                  <td class="text-end">{m.runs}</td>
                  <td class="text-end">{m.successRuns}</td>
                  <td class="text-end">{m.failureRuns}</td>
                  <td class="text-end">{m.sent.toLocaleString("en-US")}</td>
                  <td class="text-end">{m.failed.toLocaleString("en-US")}</td>
                  <td>
                    <div class="progress" role="presentation">
                      <div
                        class="progress-bar bg-success"
                        data-width={String(Math.round((m.sent / max) * 100))}
                      />
                      <div
                        class="progress-bar bg-danger"
                        data-width={String(Math.round((m.failed / max) * 100))}
                      />
                    </div>
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

function outboxPage(ctx: ViewContext, page: Page<OutboxListItem>, zone: string) {
  return renderPage(
    ctx,
    "Outbox",
    <>
      <PageHeader title="Local outbox" />
      <p class="text-body-secondary">
        No mail server is set (<code>SMTP_URL</code>), so PostPilot keeps every message here instead of
        sending it. Nothing leaves this machine.
      </p>
      {page.total === 0 ? (
        <EmptyState icon="bi-inbox" title="The outbox is empty" />
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table table-hover mb-0">
            <thead>
              <tr>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
                <th scope="col">Stored</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((m) => (
                <tr>
                  <td>{m.to_address}</td>
                  <td class="text-truncate-cell">
                    <a href={`/admin/outbox/${m.id}`}>{m.subject}</a>
                  </td>
                  <td class="text-nowrap">{formatInZone(m.created_at, zone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} path="/admin/outbox" params={{}} />
    </>,
  );
}

function outboxMessagePage(
  ctx: ViewContext,
  m: Awaited<ReturnType<Services["delivery"]["getOutboxMessage"]>>,
  zone: string,
) {
  return renderPage(
    ctx,
    m.subject,
    <>
      <PageHeader title={m.subject}>
        <a class="btn btn-outline-secondary" href="/admin/outbox">
          <i class="bi bi-arrow-left" aria-hidden="true" /> Outbox
        </a>
      </PageHeader>
      <div class="card mb-3">
        <div class="card-body">
          <DefinitionList
            items={[
              ["From", m.from_address],
              ["To", m.to_address],
              ["Subject", m.subject],
              ["Stored", formatInZone(m.created_at, zone)],
            ]}
          />
        </div>
      </div>
      <h2 class="h6">The message as it would be sent</h2>
      <pre class="bg-body border rounded-3 p-3 small pre-wrap">{m.raw}</pre>
    </>,
  );
}

const runQuery = (query: unknown) => {
  const q = (query ?? {}) as { status?: string; page?: string };
  const statuses: DeliveryStatus[] = ["pending", "sending", "sent", "failed"];
  const status: DeliveryStatus | "" = statuses.find((s) => s === q.status) ?? "";
  const page = Math.max(1, Math.min(1_000_000, Number.parseInt(q.page ?? "1", 10) || 1));
  return { status, page };
};

export function deliveryRoutes(app: FastifyInstance, services: Services): void {
  const { delivery, mailings } = services;
  const idOf = (params: unknown) => id.catch(0).parse((params as { id?: string }).id);
  const requireAdmin = (req: Parameters<typeof requireUser>[0]) => {
    const user = requireUser(req);
    if (user.role !== "admin") throw new NotFoundError();
    return user;
  };

  app.get("/mailings/:id/send", async (req, reply) => {
    const user = requireUser(req);
    const mailing = await mailings.get(user, idOf(req.params));
    return sendPage(reply, sendConfirmPage(viewContext(req, reply), mailing));
  });

  app.post("/mailings/:id/send", async (req, reply) => {
    const user = requireUser(req);
    const mailing = await mailings.get(user, idOf(req.params));
    try {
      const run = await delivery.sendNow(user, mailing.id, "web");
      return redirectWith(
        reply,
        `/runs/${run.id}`,
        "success",
        `Sending to ${run.total_count} recipients started.`,
      );
    } catch (error) {
      if (error instanceof ConflictError || error instanceof ForbiddenError) {
        return redirectWith(reply, `/mailings/${mailing.id}`, "danger", error.message);
      }
      throw error;
    }
  });

  app.get("/runs/:id", async (req, reply) => {
    const user = requireUser(req);
    const run = await delivery.getRun(user, idOf(req.params));
    const query = runQuery(req.query);
    const deliveries = await delivery.listDeliveries(user, run.id, {
      status: query.status === "" ? undefined : query.status,
      page: query.page,
    });
    return sendPage(reply, runPage(viewContext(req, reply), run, deliveries, query.status, user.time_zone));
  });

  app.get("/runs/:id/progress", async (req, reply) => {
    const user = requireUser(req);
    const progress = await delivery.progress(user, idOf(req.params));
    return reply.header("cache-control", "no-store").send(progress);
  });

  app.post("/runs/:id/retry-failed", async (req, reply) => {
    const user = requireUser(req);
    const runId = idOf(req.params);
    try {
      const run = await delivery.retryFailed(user, runId);
      return redirectWith(reply, `/runs/${run.id}`, "success", "The failed deliveries are being sent again.");
    } catch (error) {
      if (error instanceof ConflictError || error instanceof ForbiddenError) {
        return redirectWith(reply, `/runs/${runId}`, "danger", error.message);
      }
      throw error;
    }
  });

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

  app.get("/admin/outbox", async (req, reply) => {
    const user = requireAdmin(req);
    const page = await delivery.listOutbox(user, runQuery(req.query).page);
    return sendPage(reply, outboxPage(viewContext(req, reply), page, user.time_zone));
  });

  app.get("/admin/outbox/:id", async (req, reply) => {
    const user = requireAdmin(req);
    const message = await delivery.getOutboxMessage(user, idOf(req.params));
    return sendPage(reply, outboxMessagePage(viewContext(req, reply), message, user.time_zone));
  });
}
