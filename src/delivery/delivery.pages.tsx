/**
 * Sending pages: "send now" with confirmation, a run with every delivery and the server's replies,
 * "retry failed", and live progress (JSON polled by app.js). Reports and the outbox have their own files.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { Delivery, DeliveryStatus, RunStatus, RunTrigger } from "../db/schema.js";
import { ConflictError, ForbiddenError } from "../shared/errors.js";
import { pageNumber } from "../shared/fields.js";
import type { Page } from "../shared/pagination.js";
import { isAdmin } from "../shared/roles.js";
import { formatInZone } from "../shared/time.js";
import { CsrfField, DefinitionList, EmptyState, PageHeader, Pager, withQuery } from "../web/components.js";
import {
  idParam,
  redirectWith,
  requireUser,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { renderPage } from "../web/layout.js";
import type { Progress, RunDetails, RunView } from "./delivery.service.js";

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

const runQuery = (query: unknown) => {
  const q = (query ?? {}) as { status?: string; page?: string };
  const statuses: DeliveryStatus[] = ["pending", "sending", "sent", "failed"];
  const status: DeliveryStatus | "" = statuses.find((s) => s === q.status) ?? "";
  const page = pageNumber.parse(q.page);
  return { status, page };
};

export function deliveryRoutes(app: FastifyInstance, services: Services): void {
  const { delivery, mailings } = services;

  app.get("/mailings/:id/send", async (req, reply) => {
    const user = requireUser(req);
    const mailing = await mailings.get(user, idParam(req.params));
    return sendPage(reply, sendConfirmPage(viewContext(req, reply), mailing));
  });

  app.post("/mailings/:id/send", async (req, reply) => {
    const user = requireUser(req);
    const mailing = await mailings.get(user, idParam(req.params));
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
    const run = await delivery.getRun(user, idParam(req.params));
    const query = runQuery(req.query);
    const deliveries = await delivery.listDeliveries(user, run.id, {
      status: query.status === "" ? undefined : query.status,
      page: query.page,
    });
    return sendPage(reply, runPage(viewContext(req, reply), run, deliveries, query.status, user.time_zone));
  });

  app.get("/runs/:id/progress", async (req, reply) => {
    const user = requireUser(req);
    const progress = await delivery.progress(user, idParam(req.params));
    return reply.header("cache-control", "no-store").send(progress);
  });

  app.post("/runs/:id/retry-failed", async (req, reply) => {
    const user = requireUser(req);
    const runId = idParam(req.params);
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
}
