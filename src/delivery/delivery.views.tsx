/**
 * The sending views: a run's status badge and progress, a mailing's runs table, the "send now"
 * confirmation, and the run page with every delivery, its tries and the server's replies.
 */
import type { AttemptOutcome, DeliveryStatus, Run, RunTrigger } from "../db/schema.js";
import type { Page } from "../shared/pagination.js";
import { isAdmin } from "../shared/roles.js";
import { formatInZone } from "../shared/time.js";
import { CHART_COLORS, Chart } from "../web/chart.js";
import {
  ConfirmForm,
  CsrfField,
  DefinitionList,
  EmptyState,
  PageHeader,
  Pager,
  withQuery,
} from "../web/components.js";
import type { ViewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";
import { OUTCOME_LABELS, STAGE_LABELS } from "./attempt-words.js";
import type {
  AttemptView,
  DeliveryWithAttempts,
  LiveRun,
  MinuteCounts,
  Progress,
  RunDetails,
  RunView,
} from "./delivery.service.js";
import type { RunOutcome } from "./run-outcome.js";
import { type FailureGroup, type RunResponse, replyText } from "./summary.js";

const RUN_BADGES: Record<RunOutcome, string> = {
  sending: "text-bg-info",
  paused: "text-bg-warning",
  sent: "text-bg-success",
  partly_failed: "text-bg-warning",
  failed: "text-bg-danger",
  cancelled: "text-bg-dark",
};

const DELIVERY_BADGES: Record<DeliveryStatus, string> = {
  pending: "text-bg-light border",
  sending: "text-bg-info",
  sent: "text-bg-success",
  failed: "text-bg-danger",
  suppressed: "text-bg-secondary",
  cancelled: "text-bg-dark",
};

const ATTEMPT_BADGES: Record<AttemptOutcome, string> = {
  sent: "text-bg-success",
  retry: "text-bg-warning",
  failed: "text-bg-danger",
  relay: "text-bg-secondary",
};

const TRIGGERS: Record<RunTrigger, string> = {
  schedule: "Schedule",
  web: "Sent from the web",
  cli: "Command line",
  api: "API",
};

export function RunBadge({ run }: { run: Pick<RunView, "outcome" | "outcome_label"> }) {
  return <span class={`badge ${RUN_BADGES[run.outcome]}`}>{run.outcome_label}</span>;
}

/** A progress bar that app.js keeps up to date while the run is sending. */
export function RunProgress({
  runId,
  progress,
  rows = false,
}: {
  runId: number;
  progress: Progress;
  /** On the run page: the poll also redraws the delivery rows and the status tabs' counts. */
  rows?: boolean;
}) {
  const pct = (n: number) => (progress.total === 0 ? 0 : Math.round((n / progress.total) * 100));
  const done = progress.sent + progress.failed + progress.suppressed;
  return (
    <div
      data-progress-url={progress.done ? undefined : `/runs/${runId}/progress`}
      data-live-rows={rows && !progress.done ? "" : undefined}
    >
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
        <div
          class="progress-bar bg-secondary"
          data-bar="suppressed"
          data-width={String(Math.round(pct(progress.suppressed)))}
        />
      </div>
      <div class="small text-body-secondary mt-1">
        <span data-count="sent">{progress.sent}</span> sent ·{" "}
        <span data-count="failed">{progress.failed}</span> failed ·{" "}
        <span data-count="suppressed">{progress.suppressed}</span> suppressed ·{" "}
        {progress.cancelled > 0 && (
          <>
            <span data-count="cancelled">{progress.cancelled}</span> cancelled ·{" "}
          </>
        )}
        <span data-count="pending">{progress.pending + progress.sending}</span> pending of {progress.total}
        <span data-eta aria-live="polite" />
      </div>
    </div>
  );
}

/** A delivery's last reply in one line ("550 5.1.1 No such user"), or null when there is none yet. */
function replyLine(d: Pick<DeliveryWithAttempts, "last_code" | "last_enhanced" | "last_text">) {
  if (d.last_code === null && !d.last_text) return null;
  return [d.last_code, d.last_enhanced, replyText(d.last_text ?? "", d.last_code, d.last_enhanced)]
    .filter((part) => part !== null && part !== "")
    .join(" ");
}

/**
 * The poll's answer: the counts, the run's status in words, and each row shown as the page draws it
 * (status, tries, the reply in one line, when it was sent in the viewer's zone). app.js sets them as text.
 */
export function liveJson(live: LiveRun, zone: string) {
  const { rows, ...progress } = live;
  return {
    ...progress,
    rows: rows.map((d) => ({
      id: d.id,
      status: d.status,
      badge: DELIVERY_BADGES[d.status],
      tries: d.tries,
      reply: replyLine(d),
      sent: d.sent_at ? formatInZone(d.sent_at, zone) : null,
    })),
    badge: RUN_BADGES[live.outcome],
  };
}

/** The runs table on a mailing's page. */
export function RunsTable({ runs, zone }: { runs: Page<RunView>; zone: string }) {
  if (runs.total === 0) {
    return <p class="text-body-secondary">No runs yet. Each send of this mailing will be listed here.</p>;
  }
  const oldest = [...runs.items].reverse();
  const series = (label: string, key: keyof typeof CHART_COLORS, of: (r: RunView) => number) => ({
    label,
    color: CHART_COLORS[key],
    values: oldest.map(of),
  });
  return (
    <>
      {oldest.length > 1 && (
        <Chart
          title="Runs over time"
          data={{
            kind: "lines",
            zone,
            x: oldest.map((r) => Date.parse(r.started_at) / 1000),
            series: [
              series("Sent", "sent", (r) => r.progress.sent),
              series("Failed", "failed", (r) => r.progress.failed),
              series("Suppressed", "suppressed", (r) => r.progress.suppressed),
              series("Bounced", "bounced", (r) => r.bounced_count),
            ],
          }}
        />
      )}
      <div class="table-responsive bg-body rounded-3 border mb-3">
        <table class="table table-hover mb-0 table-stack">
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
                <td data-label="Trigger">{TRIGGERS[run.trigger]}</td>
                <td class="text-nowrap" data-run-badge>
                  <RunBadge run={run} />
                </td>
                <td class="stack-full">
                  <RunProgress runId={run.id} progress={run.progress} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function sendConfirmPage(
  ctx: ViewContext,
  mailing: { id: number; name: string; recipient_count: number },
  /** A run of this mailing started less than a minute ago: warn before starting another. */
  recent: Pick<Run, "id" | "started_at"> | null = null,
) {
  return renderPage(
    ctx,
    `Send ${mailing.name} now`,
    <>
      <PageHeader title={`Send “${mailing.name}” now?`} />
      {recent && (
        <div class="alert alert-warning" role="alert" data-testid="recent-run">
          <i class="bi bi-exclamation-triangle me-2" aria-hidden="true" />
          This mailing was already sent less than a minute ago (
          <a href={`/runs/${recent.id}`}>see that run</a>). Sending now again gives every recipient a second
          copy.
        </div>
      )}
      <div class="card border-primary">
        <div class="card-body">
          <p>
            {mailing.recipient_count === 1 ? (
              "Its one recipient"
            ) : (
              <>
                Every one of its <strong>{mailing.recipient_count.toLocaleString("en-US")}</strong> recipients
              </>
            )}{" "}
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
  { value: "suppressed", label: "Suppressed" },
  { value: "cancelled", label: "Cancelled" },
];

/** A server reply: its code and enhanced status as code, then the rest of its text. */
function Reply({ code, enhanced, text }: { code: number | null; enhanced: string | null; text: string }) {
  return (
    <>
      {code !== null && <code class="me-1">{code}</code>}
      {enhanced && <code class="me-1">{enhanced}</code>}
      <span class="pre-wrap">{replyText(text, code, enhanced)}</span>
    </>
  );
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A delivery's tries, oldest first, behind a <details> (no script needed, nothing inline for the CSP). */
function Attempts({ delivery, zone }: { delivery: DeliveryWithAttempts; zone: string }) {
  const { attempts, earlier_attempts: earlier } = delivery;
  if (attempts.length === 0) return null;
  return (
    <details class="attempts mt-1">
      <summary class="small">History: {plural(attempts.length + earlier, "try", "tries")}</summary>
      <ol class="attempts-list list-unstyled small mb-0 mt-1">
        {earlier > 0 && (
          <li class="text-body-secondary">… and {plural(earlier, "earlier try", "earlier tries")}</li>
        )}
        {attempts.map((a) => (
          <Attempt attempt={a} zone={zone} />
        ))}
      </ol>
    </details>
  );
}

function Attempt({ attempt: a, zone }: { attempt: AttemptView; zone: string }) {
  return (
    <li class="attempt">
      <div class="d-flex flex-wrap align-items-baseline column-gap-2">
        <time class="text-nowrap" datetime={a.attempted_at}>
          {formatInZone(a.attempted_at, zone, { seconds: true })}
        </time>
        <span class="text-body-secondary">{STAGE_LABELS[a.stage] ?? a.stage}</span>
        <span class={`badge ${ATTEMPT_BADGES[a.outcome] ?? "text-bg-light border"}`}>
          {OUTCOME_LABELS[a.outcome] ?? a.outcome}
        </span>
      </div>
      <div>
        <Reply code={a.code} enhanced={a.enhanced} text={a.text} />
      </div>
      {a.relay && <div class="text-body-secondary">via {a.relay}</div>}
    </li>
  );
}

const BOUNCE_LABELS = { hard: "hard bounce", soft: "soft bounce", complaint: "complaint" } as const;

/**
 * A bounce or complaint that arrived after the relay accepted the copy (the status stays `sent`): the
 * report's status and diagnostic text, escaped like every other text.
 */
function BouncedBadge({ delivery: d }: { delivery: DeliveryWithAttempts }) {
  const kind = d.bounce_type ? BOUNCE_LABELS[d.bounce_type] : "";
  return (
    <div class="bounce small mt-1" data-bounce={d.bounce_type ?? ""}>
      <span class="badge text-bg-danger" title={kind}>
        {d.bounce_type === "complaint" ? "complained" : "bounced"}
      </span>{" "}
      <span class="text-body-secondary">{kind}</span>
      {d.bounce_status && <code class="ms-1">{d.bounce_status}</code>}
      {d.bounce_text && <div class="pre-wrap">{d.bounce_text}</div>}
    </div>
  );
}

function LastReply({ delivery: d }: { delivery: DeliveryWithAttempts }) {
  if (d.last_code === null && !d.last_text) return <span class="text-body-secondary">—</span>;
  return <Reply code={d.last_code} enhanced={d.last_enhanced} text={d.last_text ?? ""} />;
}

/** "501 × 550 5.1.1 user unknown" (runs finished before grouping: "2 × <their whole text>"). */
function FailureLine({ failure: f }: { failure: FailureGroup }) {
  return (
    <li>
      <span class="fw-semibold">{f.count} ×</span> <Reply code={f.code} enhanced={f.enhanced} text={f.text} />
    </li>
  );
}

function ResponseSummary({ summary }: { summary: RunResponse | null }) {
  if (!summary) return <p class="text-body-secondary mb-0">Summarised when the run finishes.</p>;
  return (
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
            <FailureLine failure={f} />
          ))}
        </ul>
      )}
    </>
  );
}

function RetryButton({ path, csrfToken, label }: { path: string; csrfToken: string; label: string }) {
  return (
    <form method="post" action={`${path}/retry-failed`}>
      <CsrfField token={csrfToken} />
      <button type="submit" class="btn btn-warning">
        <i class="bi bi-arrow-clockwise" aria-hidden="true" /> {label}
      </button>
    </form>
  );
}

function ControlButton({
  path,
  csrfToken,
  action,
  label,
  icon,
  style,
}: {
  path: string;
  csrfToken: string;
  action: "pause" | "resume" | "cancel";
  label: string;
  icon: string;
  style: string;
}) {
  return (
    <form method="post" action={`${path}/${action}`}>
      <CsrfField token={csrfToken} />
      <button type="submit" class={`btn ${style}`}>
        <i class={`bi ${icon}`} aria-hidden="true" /> {label}
      </button>
    </form>
  );
}

/** Deliveries over time (sent / failed per minute) and the replies' codes, each with its table. */
function RunCharts({ run, minutes, zone }: { run: RunDetails; minutes: MinuteCounts[]; zone: string }) {
  const codes = Object.entries(run.summary?.codes ?? {});
  if (minutes.length === 0 && codes.length === 0) return null;
  const at = (minute: string) => `${minute}:00.000Z`;
  return (
    <div class="row g-4 mb-4">
      {minutes.length > 0 && (
        <div class="col-lg-7">
          <Chart
            title="Deliveries per minute"
            data={{
              kind: "lines",
              zone,
              x: minutes.map((m) => Date.parse(at(m.minute)) / 1000),
              series: [
                { label: "Sent", color: CHART_COLORS.sent, values: minutes.map((m) => m.sent) },
                { label: "Failed", color: CHART_COLORS.failed, values: minutes.map((m) => m.failed) },
              ],
            }}
          >
            <table class="table table-sm small mb-0">
              <thead>
                <tr>
                  <th scope="col">Minute</th>
                  <th scope="col" class="text-end">
                    Sent
                  </th>
                  <th scope="col" class="text-end">
                    Failed
                  </th>
                </tr>
              </thead>
              <tbody>
                {minutes.map((m) => (
                  <tr>
                    <td>{formatInZone(at(m.minute), zone)}</td>
                    <td class="text-end">{m.sent}</td>
                    <td class="text-end">{m.failed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Chart>
        </div>
      )}
      {codes.length > 0 && (
        <div class="col-lg-5">
          <Chart
            title="Replies by code"
            data={{
              kind: "bars",
              xLabel: "Reply",
              x: codes.map(([code]) => (code === "none" ? "no reply" : code)),
              series: [{ label: "Deliveries", color: CHART_COLORS.runs, values: codes.map(([, n]) => n) }],
            }}
          >
            <table class="table table-sm small mb-0">
              <thead>
                <tr>
                  <th scope="col">Reply</th>
                  <th scope="col" class="text-end">
                    Deliveries
                  </th>
                </tr>
              </thead>
              <tbody>
                {codes.map(([code, n]) => (
                  <tr>
                    <td>{code === "none" ? "no reply" : code}</td>
                    <td class="text-end">{n}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Chart>
        </div>
      )}
    </div>
  );
}

export function runPage(
  ctx: ViewContext,
  run: RunDetails,
  deliveries: Page<DeliveryWithAttempts>,
  filter: DeliveryStatus | "",
  zone: string,
  minutes: MinuteCounts[] = [],
) {
  const path = `/runs/${run.id}`;
  const canRetry = run.progress.failed > 0 && (run.owner_id === ctx.user?.id || isAdmin(ctx.user));
  const waiting = run.next_retry_at !== null;
  const canControl =
    run.status === "sending" && !run.cancelled_at && (run.owner_id === ctx.user?.id || isAdmin(ctx.user));
  return renderPage(
    ctx,
    `Run of ${run.mailing_name}`,
    <>
      <PageHeader title={`Run of ${run.mailing_name}`}>
        <a class="btn btn-outline-secondary" href={`/mailings/${run.mailing_id}`}>
          <i class="bi bi-arrow-left" aria-hidden="true" /> Back to the mailing
        </a>
        {canRetry && run.status !== "sending" && (
          <RetryButton path={path} csrfToken={ctx.csrfToken} label="Retry failed deliveries" />
        )}
        {canRetry && waiting && (
          <RetryButton path={path} csrfToken={ctx.csrfToken} label="Retry failed now" />
        )}
        {canControl && !run.paused_at && (
          <ControlButton
            path={path}
            csrfToken={ctx.csrfToken}
            action="pause"
            label="Pause"
            icon="bi-pause-fill"
            style="btn-outline-secondary"
          />
        )}
        {canControl && run.paused_at && (
          <ControlButton
            path={path}
            csrfToken={ctx.csrfToken}
            action="resume"
            label="Resume"
            icon="bi-play-fill"
            style="btn-primary"
          />
        )}
        {canControl && (
          <a class="btn btn-outline-danger" href={`${path}/cancel`}>
            <i class="bi bi-x-octagon" aria-hidden="true" /> Cancel run
          </a>
        )}
      </PageHeader>
      {run.paused_at && run.status === "sending" && !run.cancelled_at && (
        <div class="alert alert-warning" role="status">
          Paused since {formatInZone(run.paused_at, zone)}: no new delivery starts until you resume. Nobody
          gets it twice when you do.
        </div>
      )}
      {run.pruned_at && (
        <div class="alert alert-secondary" role="status">
          Per-recipient rows removed after {run.pruned_after_days} days (retention,{" "}
          {formatInZone(run.pruned_at, zone)}): the counts and replies summary below are kept.
        </div>
      )}
      <div class="row g-4 mb-4">
        <div class="col-lg-7">
          <div class="card h-100">
            <div class="card-body">
              <DefinitionList
                items={[
                  [
                    "Status",
                    <span data-run-badge>
                      <RunBadge run={run} />
                    </span>,
                  ],
                  ["Trigger", TRIGGERS[run.trigger]],
                  ["Subject", run.subject],
                  ["Started", formatInZone(run.started_at, zone)],
                  ["Finished", run.finished_at ? formatInZone(run.finished_at, zone) : "Still sending"],
                  ...(run.slowed_domains.length > 0
                    ? [
                        [
                          "Slowed down",
                          `${run.slowed_domains.map((d) => `${d.domain} (${d.rate}/s)`).join(", ")}: these domains asked to slow down (421 / 4.7.x); the others are sent as usual`,
                        ] as [string, string],
                      ]
                    : []),
                  ...(run.window_wait
                    ? [
                        [
                          "Sending window",
                          `Waiting for the sending window (${run.window_wait.window}, ${run.window_wait.zone}): resumes ${formatInZone(run.window_wait.resumes_at, run.window_wait.zone)}`,
                        ] as [string, string],
                      ]
                    : []),
                  ...(waiting
                    ? [
                        [
                          "Next retry",
                          `at ${formatInZone(run.next_retry_at, zone)} (${plural(run.progress.pending, "delivery", "deliveries")} waiting)`,
                        ] as [string, string],
                      ]
                    : []),
                  ["Progress", <RunProgress runId={run.id} progress={run.progress} rows />],
                  [
                    "After sending",
                    <span class="small">
                      <span data-report="suppressed">{run.progress.suppressed}</span> suppressed ·{" "}
                      <span data-report="bounced">{run.bounced_count}</span> bounced ·{" "}
                      <span data-report="unsubscribed">{run.unsubscribed_count}</span> unsubscribed
                    </span>,
                  ],
                ]}
              />
            </div>
          </div>
        </div>
        <div class="col-lg-5">
          <div class="card h-100">
            <div class="card-body">
              <h2 class="h6">Mail server response</h2>
              <ResponseSummary summary={run.summary} />
            </div>
          </div>
        </div>
      </div>
      <RunCharts run={run} minutes={minutes} zone={zone} />
      <h2 class="h5">Deliveries</h2>
      <ul class="nav nav-pills mb-3">
        {STATUS_FILTERS.map((f) => (
          <li class="nav-item">
            <a
              class={`nav-link${filter === f.value ? " active" : ""}`}
              aria-current={filter === f.value ? "page" : undefined}
              href={withQuery(path, { status: f.value })}
            >
              {f.label}{" "}
              <span class="badge rounded-pill text-bg-light border" data-tab-count={f.value || "total"}>
                {f.value === "" ? run.progress.total : run.progress[f.value]}
              </span>
            </a>
          </li>
        ))}
      </ul>
      {deliveries.total === 0 ? (
        <EmptyState icon="bi-envelope" title="No deliveries here" />
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table table-sm mb-0 deliveries table-stack">
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
                <tr data-delivery-id={String(d.id)}>
                  <td>
                    {d.recipient_id && run.owner_id === ctx.user?.id ? (
                      <a href={`/recipients/${d.recipient_id}`}>{d.email}</a>
                    ) : (
                      d.email
                    )}
                  </td>
                  <td>
                    <span class={`badge ${DELIVERY_BADGES[d.status]}`} data-live="status">
                      {d.status}
                    </span>
                    {d.bounce_type && <BouncedBadge delivery={d} />}
                  </td>
                  <td data-label="Tries" data-live="tries">
                    {d.tries}
                  </td>
                  <td class="small stack-full">
                    <div data-live="reply" data-reply={replyLine(d) ?? ""}>
                      <LastReply delivery={d} />
                    </div>
                    <Attempts delivery={d} zone={zone} />
                  </td>
                  {d.sent_at ? (
                    <td class="text-nowrap small" data-label="Sent" data-live="sent">
                      {formatInZone(d.sent_at, zone)}
                    </td>
                  ) : (
                    <td class="text-nowrap small d-none d-md-table-cell" data-live="sent">
                      —
                    </td>
                  )}
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

/** Cancelling asks first, stating how many will not be sent. */
export function cancelRunPage(ctx: ViewContext, run: RunDetails) {
  const path = `/runs/${run.id}`;
  const open = run.progress.pending + run.progress.sending;
  return renderPage(
    ctx,
    "Cancel run",
    <>
      <PageHeader title={`Cancel this run of ${run.mailing_name}?`} />
      <ConfirmForm csrfToken={ctx.csrfToken} action={`${path}/cancel`} cancelHref={path} button="Cancel run">
        <p class="mb-0">
          {open === 1 ? "1 delivery has" : `${open} deliveries have`} not been sent yet and will not be: they
          are recorded as cancelled. Those being handed to the mail server right now finish. This cannot be
          undone.
        </p>
      </ConfirmForm>
    </>,
  );
}
